// stripe:simulate against the test stack's database, through the real gateway code and the real
// checkout and stripe-webhook handlers, configured the way supabase/functions/.env configures
// them for the fake Stripe API. (The test stack's own gateway keeps .env.example's placeholder
// Stripe settings: the last test checks that the simulation then stops with 503 and the fix.)
import assert from "node:assert/strict";
import { connect } from "../supabase/functions/_shared/db.ts";
import { startFakeStripe } from "../supabase/functions/_shared/testing/fake-stripe.ts";
import { createUser, deleteUsers, testDbUrl } from "../supabase/functions/_shared/testing/users.ts";
import { fromEnv as checkout } from "../supabase/functions/checkout/index.ts";
import { fromEnv as stripeWebhook } from "../supabase/functions/stripe-webhook/index.ts";
import { listFunctions } from "./lib/functions-config.ts";
import { gateway } from "./lib/gateway.ts";
import { stackKeys } from "./lib/keys.ts";
import {
  ensureFakeStripe,
  fakeStripeEnv,
  localStripeTarget,
  type StripeTarget,
} from "./lib/local-stripe.ts";
import { type Purchase, simulatePurchase, SimulationError } from "./lib/stripe-simulate.ts";
import { freePort, portOpen } from "./lib/proc.ts";
import { simulateArgs } from "./stripe-simulate.ts";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";

const bundle = "0f000000-0000-4000-8000-000000000101";
const priyaMonthly = "0f000000-0000-4000-8000-000000000201";
const masterclass = "0f000000-0000-4000-8000-000000000301";
const masterclassSession = "5e000000-0000-4000-8000-000000000002";
const cssCourse = "0f000000-0000-4000-8000-000000000004";

const keys = await stackKeys();

// Every test opens with `const t = setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
function setup(opts: { functionsUrl?: string } = {}) {
  const sql = connect(testDbUrl(), { max: 2 });
  const fake = startFakeStripe();
  const target: StripeTarget = {
    ...(localStripeTarget({
      ...fakeStripeEnv(fake.port),
      STRIPE_SECRET_KEY: "sk_test_simulate",
      STRIPE_WEBHOOK_SECRET: "whsec_simulate",
    }) as StripeTarget),
  };
  // The functions' env, as supabase/functions/.env gives it when it points at the fake.
  const functionsEnv = {
    ...Deno.env.toObject(),
    ...fakeStripeEnv(fake.port),
    STRIPE_SECRET_KEY: target.secretKey,
    STRIPE_WEBHOOK_SECRET: target.webhookSecret,
    CHECKOUT_ALLOWED_ORIGINS: "http://127.0.0.1:3000",
  };
  const handlers = {
    checkout: checkout(functionsEnv),
    "stripe-webhook": stripeWebhook(functionsEnv),
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    gateway({
      functions: listFunctions().filter((f) => f.name in handlers),
      jwtSecret: env("SUPABASE_JWT_SECRET"),
      signingKeys: keys.signingKeys,
      apiKeys: {
        publishable: [keys.publishable],
        secret: [keys.secret],
        legacy: [keys.anon, keys.serviceRole],
      },
      load: (spec) => Promise.resolve({ default: handlers[spec.name as keyof typeof handlers] }),
    }),
  );
  const tag = crypto.randomUUID().slice(0, 8);
  const buyers: string[] = [];
  const buyer = async () => {
    const email = `sim-${tag}-${buyers.length}@test.local`;
    buyers.push(await createUser(sql, email));
    return email;
  };
  const lines: string[] = [];
  const simulate = (purchase: Purchase) =>
    simulatePurchase(purchase, {
      sql,
      supabaseUrl: env("SUPABASE_URL"),
      functionsUrl: opts.functionsUrl ??
        `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/functions/v1`,
      jwtSecret: env("SUPABASE_JWT_SECRET"),
      stripe: target,
      siteOrigin: "http://127.0.0.1:3000",
      log: (line) => lines.push(line),
    });
  const teardown = async () => {
    for (const h of Object.values(handlers)) await h.close();
    await server.shutdown();
    await fake.close();
    await sql`delete from public.subscriptions where user_id = any(${buyers}::uuid[])`;
    await sql`delete from public.orders where user_id = any(${buyers}::uuid[])`;
    await deleteUsers(sql, buyers);
    await sql.end();
  };
  return { sql, fake, buyer, simulate, lines, teardown };
}

Deno.test("stripe:simulate: buys the seeded bundle with a coupon, through checkout and a signed checkout.session.completed", async () => {
  const t = setup();
  try {
    const email = await t.buyer();
    const result = await t.simulate({
      email,
      offerId: bundle,
      currency: "USD",
      coupon: "WELCOME10",
    });
    assert.equal(result.order.status, "paid");
    assert.equal(result.order.total, 8910, "the database's price after WELCOME10");
    assert.equal(result.order.currency, "USD");
    assert.deepEqual(result.events.map((e) => [e.type, e.result]), [
      ["checkout.session.completed", "applied"],
    ]);
    assert.deepEqual(
      result.access.map((a) => [a.kind, a.id, a.source, a.active]),
      [
        ["course", "e0000000-0000-4000-8000-000000000003", "purchase", true], // Building APIs…
        ["course", "e0000000-0000-4000-8000-000000000001", "purchase", true], // Postgres RLS…
      ],
      "both courses of the bundle",
    );

    // What Stripe was asked for, and what the webhook looked like to the database.
    const created = t.fake.requests.find((r) => r.path === "/v1/checkout/sessions")!;
    assert.equal(created.form["line_items[0][price_data][unit_amount]"], "8910");
    assert.equal(created.form["metadata[order_id]"], result.order.id);
    const [order] = await t.sql`
      select stripe_checkout_session_id, stripe_payment_intent_id, coupon_id from public.orders
      where id = ${result.order.id}`;
    assert.equal(order.stripe_checkout_session_id, result.checkoutSessionId);
    assert.match(order.stripe_payment_intent_id, /^pi_sim_/, "the event named its payment intent");
    assert.equal(order.coupon_id, "cc000000-0000-4000-8000-000000000001");
    const [ledger] = await t.sql`
      select type, result from private.stripe_events where event_id = ${result.events[0].id}`;
    assert.deepEqual({ ...ledger }, { type: "checkout.session.completed", result: "applied" });
    assert.ok(t.lines.some((l) => l.startsWith(`signed in as ${email}`)));
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe:simulate --refund: the last masterclass seat, paid then refunded by charge.refunded", async () => {
  const t = setup();
  try {
    const email = await t.buyer();
    const seats = async () =>
      (await t
        .sql`select registered_count from public.live_sessions where id = ${masterclassSession}`)[0]
        .registered_count;
    const before = await seats();
    const result = await t.simulate({
      email,
      offerId: masterclass,
      currency: "EUR",
      then: "refund",
    });
    assert.deepEqual(result.events.map((e) => [e.type, e.result]), [
      ["checkout.session.completed", "applied"],
      ["charge.refunded", "applied"],
    ]);
    assert.equal(result.order.status, "refunded");
    assert.equal(result.order.total, 2700);
    assert.deepEqual(
      result.access.map((a) => [a.kind, a.id, a.source, a.active]),
      [["session", masterclassSession, "purchase", false]],
      "the seat was given, then taken back",
    );
    assert.equal(await seats(), before, "and is free again");
    const [{ amount_refunded }] = await t
      .sql`select amount_refunded::int from public.orders where id = ${result.order.id}`;
    assert.equal(amount_refunded, 2700);
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe:simulate --fail: an async payment that fails leaves a failed order and no access", async () => {
  const t = setup();
  try {
    const email = await t.buyer();
    const result = await t.simulate({ email, offerId: cssCourse, currency: "EUR", then: "fail" });
    assert.deepEqual(result.events.map((e) => [e.type, e.result]), [
      ["checkout.session.completed", "applied"],
      ["checkout.session.async_payment_failed", "applied"],
    ]);
    assert.equal(result.order.status, "failed");
    assert.deepEqual(result.access, []);
    const [{ n }] = await t.sql`
      select count(*)::int as n from private.email_outbox
      where template = 'payment_failed' and payload ->> 'order_id' = ${result.order.id}`;
    assert.equal(n, 1, "the buyer is told");
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe:simulate: a plan starts a subscription that gives the plan's courses; --refund cancels it", async () => {
  const t = setup();
  try {
    const result = await t.simulate({
      email: await t.buyer(),
      offerId: priyaMonthly,
      currency: "USD",
    });
    assert.deepEqual(result.events.map((e) => [e.type, e.result]), [
      ["checkout.session.completed", "applied"],
      ["customer.subscription.created", "applied"],
    ]);
    assert.equal(result.order.status, "paid");
    assert.equal(result.subscription?.status, "active");
    assert.match(result.subscription!.id, /^sub_sim_/);
    const [{ owned }] = await t.sql`
      select array_agg(id::text order by title) as owned from public.courses
      where owner_id = 'b0000000-0000-4000-8000-000000000001' and status = 'published'
        and deleted_at is null`;
    assert.deepEqual(
      result.access.map((a) => a.id),
      owned,
      "every published course Priya owns (not those in the trash)",
    );
    for (const a of result.access) {
      assert.equal(a.source, "subscription");
      assert.ok(a.active);
      assert.ok(
        a.until!.getTime() > Date.now() + 27 * 86400_000,
        "until the end of the month paid",
      );
    }

    const cancelled = await t.simulate({
      email: await t.buyer(),
      offerId: priyaMonthly,
      currency: "EUR",
      then: "refund",
    });
    assert.deepEqual(cancelled.events.map((e) => e.type), [
      "checkout.session.completed",
      "customer.subscription.created",
      "customer.subscription.deleted",
    ]);
    assert.equal(cancelled.subscription?.status, "canceled");
    assert.ok(cancelled.access.length > 0 && cancelled.access.every((a) => !a.active));
    await assert.rejects(
      () => t.simulate({ email: "nobody@test.local", offerId: priyaMonthly, currency: "USD" }),
      /no user nobody@test\.local in auth\.users/,
    );
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe:simulate: refused purchases and a plan with --fail say why", async () => {
  const t = setup();
  try {
    const email = await t.buyer();
    await t.simulate({ email, offerId: bundle, currency: "USD" });
    await assert.rejects(
      () => t.simulate({ email, offerId: bundle, currency: "USD" }),
      (e: Error) =>
        e instanceof SimulationError &&
        /checkout answered 400 already_owned: you already have this/
          .test(e.message),
    );
    await assert.rejects(
      () => t.simulate({ email, offerId: priyaMonthly, currency: "USD", then: "fail" }),
      /--fail makes an asynchronous payment method fail/,
    );
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe:simulate: against the test stack's gateway (placeholder Stripe settings) it stops at 503 with the fix, and no order", async () => {
  const t = setup({ functionsUrl: env("FUNCTIONS_URL") });
  try {
    const email = await t.buyer();
    await assert.rejects(
      () => t.simulate({ email, offerId: bundle, currency: "USD" }),
      (e: Error) => {
        assert.ok(e instanceof SimulationError);
        assert.match(e.message, /checkout answered 503 stripe_not_configured/);
        assert.match(e.message, /STRIPE_API_HOST=127\.0\.0\.1\n {2}STRIPE_API_PORT=12111/);
        return true;
      },
    );
    const [{ n }] = await t.sql`
      select count(*)::int as n from public.orders o join auth.users u on u.id = o.user_id
      where u.email = ${email}`;
    assert.equal(n, 0);
  } finally {
    await t.teardown();
  }
});

Deno.test("local Stripe: only a local fake with test secrets is used; one is started when none listens", async () => {
  assert.match(
    (localStripeTarget({
      STRIPE_SECRET_KEY: "sk_test_replace_me",
      STRIPE_WEBHOOK_SECRET: "whsec_x",
    }) as {
      problem: string;
    }).problem,
    /STRIPE_SECRET_KEY/,
  );
  assert.match(
    (localStripeTarget({ ...fakeStripeEnv(), STRIPE_API_HOST: "api.stripe.com" }) as {
      problem: string;
    }).problem,
    /not a local fake Stripe/,
  );
  assert.match(
    (localStripeTarget({ ...fakeStripeEnv(), STRIPE_API_HOST: "" }) as { problem: string }).problem,
    /api\.stripe\.com/,
  );
  assert.deepEqual(localStripeTarget({ ...fakeStripeEnv(4242, "host.docker.internal") }), {
    secretKey: "sk_test_local_fake",
    webhookSecret: "whsec_local_fake",
    host: "127.0.0.1",
    port: 4242,
    protocol: "http",
  });

  const port = freePort();
  const first = await ensureFakeStripe(port);
  assert.equal(first.started, true);
  assert.ok(await portOpen(port));
  const second = await ensureFakeStripe(port);
  assert.equal(second.started, false, "the running one is used");
  await second.close();
  assert.ok(await portOpen(port), "and left running");
  await first.close();
});

Deno.test("stripe:simulate: its arguments are validated", () => {
  assert.deepEqual(
    simulateArgs.parse({
      email: "sam@example.com",
      offer: bundle,
      currency: "eur",
      coupon: "WELCOME10",
    }),
    {
      email: "sam@example.com",
      offer: bundle,
      currency: "EUR",
      coupon: "WELCOME10",
      refund: false,
      fail: false,
    },
  );
  assert.equal(simulateArgs.parse({ email: "sam@example.com", offer: bundle }).currency, "USD");
  for (
    const bad of [
      { email: "sam", offer: bundle },
      { email: "sam@example.com", offer: "bundle" },
      { email: "sam@example.com", offer: bundle, currency: "dollars" },
      { email: "sam@example.com", offer: bundle, refund: true, fail: true },
    ]
  ) {
    assert.equal(simulateArgs.safeParse(bad).success, false, JSON.stringify(bad));
  }
});
