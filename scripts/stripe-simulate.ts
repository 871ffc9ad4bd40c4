// `npm run stripe:simulate -- --email <buyer> --offer <offer id> [--currency USD] [--coupon CODE]
// [--refund | --fail]`: buys something on the running local stack without Stripe, through the
// real checkout and stripe-webhook functions, and prints what the buyer got. The functions must use
// the fake Stripe API (scripts/fake-stripe-server.ts); when nothing listens on its port, this
// command serves one itself for the run. See README, "Buy something locally", and
// scripts/lib/stripe-simulate.ts for what is sent.
import { parseArgs } from "node:util";
import { z } from "../supabase/functions/_shared/config.ts";
import { connect } from "../supabase/functions/_shared/db.ts";
import {
  ensureFakeStripe,
  fakeStripeInstructions,
  localStripeTarget,
  stackFunctionSecrets,
} from "./lib/local-stripe.ts";
import { stackEnv } from "./lib/stack-env.ts";
import { money, simulatePurchase, SimulationError } from "./lib/stripe-simulate.ts";

const usage =
  `usage: npm run stripe:simulate -- --email <buyer> --offer <offer id> [--currency USD] [--coupon CODE] [--refund | --fail]

  --email     a user of the local stack, e.g. sam@example.com
  --offer     an offer id, e.g. 0f000000-0000-4000-8000-000000000101 (the seeded bundle)
  --currency  one of the offer's currencies (default USD)
  --coupon    a coupon code, e.g. WELCOME10
  --refund    then refund it (charge.refunded; a plan: its subscription is cancelled)
  --fail      an asynchronous payment method fails instead (checkout.session.async_payment_failed)`;

export const simulateArgs = z.object({
  email: z.email(),
  offer: z.uuid(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, "a three-letter code such as USD").default("USD")
    .transform((c) => c.toUpperCase()),
  coupon: z.string().min(1).max(40).optional(),
  refund: z.boolean().default(false),
  fail: z.boolean().default(false),
}).refine((a) => !(a.refund && a.fail), { message: "--refund and --fail exclude each other" });

if (import.meta.main) {
  let args;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        email: { type: "string" },
        offer: { type: "string" },
        currency: { type: "string" },
        coupon: { type: "string" },
        refund: { type: "boolean" },
        fail: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(usage);
      Deno.exit(0);
    }
    args = simulateArgs.parse(values);
  } catch (e) {
    const problems = e instanceof z.ZodError
      ? e.issues.map((i) => `--${i.path.join(".") || "args"}: ${i.message}`).join("\n")
      : String(e instanceof Error ? e.message : e);
    console.error(`${problems}\n\n${usage}`);
    Deno.exit(2);
  }

  const secrets = stackFunctionSecrets();
  const target = localStripeTarget(secrets.env);
  if ("problem" in target) {
    console.error(
      `The functions do not use a fake Stripe API: ${target.problem} (read from ${
        secrets.file ?? "the defaults of .env.example: supabase/functions/.env does not exist"
      }).\n${fakeStripeInstructions()}`,
    );
    Deno.exit(1);
  }
  const origin = (secrets.env.CHECKOUT_ALLOWED_ORIGINS ?? "").split(",").map((o) => o.trim())
    .find(Boolean);
  if (!origin) {
    console.error("CHECKOUT_ALLOWED_ORIGINS is not set for the functions.");
    Deno.exit(1);
  }

  const log = (line: string) => console.log(`› ${line}`);
  let stack;
  try {
    stack = await stackEnv();
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
  // In Docker mode the functions reach this machine as host.docker.internal: listen beyond loopback.
  const fake = await ensureFakeStripe(target.port, {
    hostname: secrets.env.STRIPE_API_HOST === "host.docker.internal" ? "0.0.0.0" : "127.0.0.1",
  });
  if (fake.started) {
    log(`no fake Stripe API was running: serving one on port ${target.port} for this run`);
  }
  const sql = connect(stack.SUPABASE_DB_URL, { max: 1 });
  let failed = false;
  try {
    const result = await simulatePurchase(
      {
        email: args.email,
        offerId: args.offer,
        currency: args.currency,
        coupon: args.coupon,
        then: args.refund ? "refund" : args.fail ? "fail" : undefined,
      },
      {
        sql,
        supabaseUrl: stack.SUPABASE_URL,
        functionsUrl: stack.FUNCTIONS_URL,
        jwtSecret: stack.SUPABASE_JWT_SECRET,
        stripe: target,
        siteOrigin: origin,
        log,
      },
    );
    const { order } = result;
    console.log(
      `\norder ${order.id}: ${order.title}, ${money(order.total, order.currency)}, ${order.status}`,
    );
    if (result.subscription) {
      console.log(
        `subscription ${result.subscription.id}: ${result.subscription.status}` +
          (result.subscription.current_period_end
            ? `, paid until ${result.subscription.current_period_end.toISOString()}`
            : ""),
      );
    }
    if (result.access.length === 0) console.log(`${args.email} got nothing from this order.`);
    for (const a of result.access) {
      console.log(
        `${a.active ? "✔" : "✖"} ${a.kind} ${a.title} (${a.id}): ${a.source}, ${
          a.active ? "active" : "revoked"
        }${a.until && a.active ? `, until ${a.until.toISOString()}` : ""}`,
      );
    }
  } catch (e) {
    failed = true;
    console.error(`\n✖ ${e instanceof SimulationError ? e.message : e}`);
  } finally {
    await sql.end({ timeout: 5 });
    await fake.close();
  }
  Deno.exit(failed ? 1 : 0);
}
