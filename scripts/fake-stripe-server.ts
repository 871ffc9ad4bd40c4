// `npm run stripe:fake`: a fake Stripe API for the local stack, so checkout, refund,
// billing-portal and stripe-webhook work without a Stripe account. It answers what our functions
// ask (customers, Checkout Sessions, billing portal sessions, refunds) in Stripe's shapes, honours
// idempotency keys, and keeps the Checkout Sessions it created so `npm run stripe:simulate` can
// read them back and pay them with signed webhooks. State lives in memory.
//
//   deno run -A scripts/fake-stripe-server.ts [--port 12111] [--hostname 127.0.0.1]
//
// (or FAKE_STRIPE_PORT / FAKE_STRIPE_HOSTNAME). Point the functions at it in
// supabase/functions/.env, then restart them:
//   STRIPE_SECRET_KEY=sk_test_local_fake      (any sk_test_ key)
//   STRIPE_WEBHOOK_SECRET=whsec_local_fake    (any whsec_ secret; stripe:simulate signs with it)
//   STRIPE_API_HOST=127.0.0.1                 (Docker mode: host.docker.internal, with --hostname 0.0.0.0)
//   STRIPE_API_PORT=12111
//   STRIPE_API_PROTOCOL=http
import { parseArgs } from "node:util";
import { startFakeStripe } from "../supabase/functions/_shared/testing/fake-stripe.ts";
import { FAKE_STRIPE_PORT } from "./lib/local-stripe.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { port: { type: "string" }, hostname: { type: "string" } },
  });
  const port = Number(values.port ?? Deno.env.get("FAKE_STRIPE_PORT") ?? FAKE_STRIPE_PORT);
  const hostname = values.hostname ?? Deno.env.get("FAKE_STRIPE_HOSTNAME") ?? "127.0.0.1";
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`not a port: ${values.port}`);
    Deno.exit(2);
  }
  const fake = startFakeStripe({
    port,
    hostname,
    onRequest: (r, status) =>
      console.log(`${new Date().toISOString()} ${r.method} ${r.path} -> ${status}`),
  });
  console.log(`fake Stripe API on http://${hostname}:${fake.port} (Ctrl-C stops it)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await fake.close();
      Deno.exit(0);
    });
  }
}
