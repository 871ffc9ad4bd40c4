// The entry point the local stack starts: `deno run -A scripts/fake-stripe-server.ts --port N`.
import assert from "node:assert/strict";
import { stripeClient } from "../supabase/functions/_shared/stripe.ts";
import { bin, root } from "./lib/paths.ts";
import { freePort, portOpen } from "./lib/proc.ts";

Deno.test("fake-stripe-server: serves the fake Stripe API on its port until SIGTERM", async () => {
  const port = freePort();
  const child = new Deno.Command(bin("deno"), {
    args: ["run", "-A", "scripts/fake-stripe-server.ts", "--port", String(port)],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    for (let i = 0; i < 100 && !(await portOpen(port)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const stripe = stripeClient({
      STRIPE_SECRET_KEY: "sk_test_local_fake",
      STRIPE_API_HOST: "127.0.0.1",
      STRIPE_API_PORT: port,
      STRIPE_API_PROTOCOL: "http",
    });
    const customer = await stripe.customers.create({ email: "a@b.c" }, { idempotencyKey: "c-1" });
    assert.match(customer.id, /^cus_/);
    const session = await stripe.checkout.sessions.create({
      mode: "payment",
      customer: customer.id,
      success_url: "http://127.0.0.1:3000/ok",
      metadata: { order_id: "o-1" },
      line_items: [{
        quantity: 1,
        price_data: { currency: "eur", unit_amount: 1500, product_data: { name: "Seat" } },
      }],
    });
    const again = await stripe.checkout.sessions.retrieve(session.id);
    assert.equal(again.amount_total, 1500);
    assert.deepEqual(again.metadata, { order_id: "o-1" });
    await assert.rejects(() => stripe.checkout.sessions.retrieve("cs_test_nope"), /No such/);
  } finally {
    child.kill("SIGTERM");
    const { code, stdout } = await child.output();
    assert.equal(code, 0, "stops cleanly");
    const log = new TextDecoder().decode(stdout);
    assert.match(log, new RegExp(`fake Stripe API on http://127\\.0\\.0\\.1:${port}`));
    assert.match(log, /POST \/v1\/checkout\/sessions -> 200/, "one log line per request");
  }
});
