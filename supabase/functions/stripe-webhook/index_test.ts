// stripe-webhook with events signed by stripe-node's own generateTestHeaderStringAsync.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeStripe, stripeApiAt } from "../_shared/testing/fake-stripe.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, planOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import { stripeClient, webhookCryptoProvider } from "../_shared/stripe.ts";
import { createStripeWebhook, fromEnv, stripeWebhookConfig } from "./index.ts";
import { quietly } from "../_shared/testing/console.ts";
import { postJson } from "../_shared/testing/requests.ts";

const secret = "whsec_test_secret";
const stripe = stripeClient({ STRIPE_SECRET_KEY: "sk_test_x" });
let seq = 0;

// Every test opens with `const t = await setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
async function setup() {
  const sql = connect(testDbUrl(), { max: 2 });
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `wh-seller-${tag}@test.local`, { role: "instructor" });
  const buyer = await createUser(sql, `wh-buyer-${tag}@test.local`);
  await sql`insert into public.user_roles (user_id, role) values (${seller}, 'admin')`; // receives dispute alerts
  const course = await publishedCourse(sql, seller, { slug: `wh-${tag}`, title: "Webhook Course" });
  const offer = { id: await courseOffer(sql, course.id, seller, "Webhook Course", { USD: 4900 }) };
  const plan = { id: await planOffer(sql, seller, "Webhook plan", { USD: 1900 }) };
  const claims = await claimsFor(sql, buyer);
  const order = async (offerId: string) =>
    (await asCaller(
      sql,
      claims,
      (tx) => tx<{ id: string }[]>`select id from public.create_order(${offerId}, 'USD')`,
    ))[0].id;
  const fake = startFakeStripe();
  const hook = createStripeWebhook(
    stripeWebhookConfig.parse({
      SUPABASE_DB_URL: testDbUrl(),
      ...fake.env,
      STRIPE_WEBHOOK_SECRET: secret,
    }),
    { sql: connect(testDbUrl(), { max: 10 }) },
  );
  const event = (
    type: string,
    object: Record<string, unknown>,
    created = Math.floor(Date.now() / 1000),
  ) => ({
    id: `evt_${tag}_${++seq}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  });
  const deliver = async (evt: unknown, opts: { secret?: string; timestamp?: number } = {}) => {
    const payload = JSON.stringify(evt);
    const header = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: opts.secret ?? secret,
      timestamp: opts.timestamp,
      cryptoProvider: webhookCryptoProvider,
    });
    return await hook.fetch(
      postJson("stripe-webhook", payload, { "stripe-signature": header }),
    );
  };
  const session = (orderId: string, payment_status = "paid", amount_total = 4900) => ({
    id: `cs_test_${orderId.slice(0, 8)}`,
    object: "checkout.session",
    mode: "payment",
    status: "complete",
    payment_status,
    payment_intent: `pi_${orderId.slice(0, 8)}`,
    amount_total,
    currency: "usd",
    client_reference_id: orderId,
    metadata: { order_id: orderId, user_id: buyer },
  });
  // Stripe copies the payment intent's metadata onto its charge.
  const charge = (orderId: string, amount_refunded: number, amount = 4900) => ({
    id: `ch_${orderId.slice(0, 8)}`,
    object: "charge",
    amount,
    amount_refunded,
    refunded: amount_refunded >= amount,
    currency: "usd",
    payment_intent: `pi_${orderId.slice(0, 8)}`,
    metadata: { order_id: orderId, user_id: buyer },
  });
  const access = async () =>
    (await t
      .sql`select count(*)::int as n from public.entitlements e where e.user_id = ${buyer} and e.course_id = ${course.id}
                  and private.is_active(e)`)[0].n;
  const emails = async (template: string) =>
    (await t
      .sql`select count(*)::int as n from private.email_outbox where to_user_id = ${buyer} and template = ${template}`)[
        0
      ].n;
  const status = async (orderId: string) =>
    (await t.sql`select status from public.orders where id = ${orderId}`)[0].status;
  const teardown = async () => {
    await hook.close();
    await fake.close();
    await sql`delete from public.subscriptions where user_id = ${buyer}`;
    await sql`delete from public.orders where user_id = ${buyer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, buyer]);
    await sql.end();
  };
  const t = {
    sql,
    fake,
    seller,
    buyer,
    course: course.id,
    offer: offer.id as string,
    plan: plan.id as string,
    order,
    event,
    deliver,
    session,
    charge,
    access,
    emails,
    status,
    teardown,
  };
  return t;
}

Deno.test("stripe-webhook: completed payment grants access once; replays are no-ops", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    const evt = t.event("checkout.session.completed", t.session(id));
    assert.deepEqual(await (await t.deliver(evt)).json(), { received: true, result: "applied" });
    assert.equal(await t.status(id), "paid");
    assert.equal(await t.access(), 1);
    assert.equal(await t.emails("purchase_receipt"), 1);
    assert.deepEqual(await (await t.deliver(evt)).json(), { received: true, result: "duplicate" });
    assert.equal(await t.emails("purchase_receipt"), 1);
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: 50 concurrent deliveries of one event give one entitlement and one email", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    const evt = t.event("checkout.session.completed", t.session(id));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => t.deliver(evt).then((r) => r.json())),
    );
    assert.equal(results.filter((r) => r.result === "applied").length, 1);
    assert.equal(results.filter((r) => r.result === "duplicate").length, 49);
    assert.equal(await t.access(), 1);
    assert.equal(
      (await t.sql`select count(*)::int as n from public.entitlements where user_id = ${t.buyer}`)[
        0
      ].n,
      1,
    );
    assert.equal(await t.emails("purchase_receipt"), 1);
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: out of order, partial and full refunds, disputes", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    const now = Math.floor(Date.now() / 1000);
    await t.deliver(t.event("checkout.session.completed", t.session(id), now));
    const late = await (await t.deliver(
      t.event("checkout.session.expired", { ...t.session(id), status: "expired" }, now - 60),
    )).json();
    assert.equal(late.result, "stale", "an older event arriving late changes nothing");
    assert.equal(await t.status(id), "paid");

    await t.deliver(t.event("charge.refunded", t.charge(id, 1000), now + 10));
    assert.equal(await t.status(id), "partially_refunded");
    assert.equal(await t.access(), 1, "a partial refund keeps access");
    await t.deliver(t.event("charge.refunded", t.charge(id, 4900), now + 20));
    assert.equal(await t.status(id), "refunded");
    assert.equal(await t.access(), 0, "a full refund revokes access");
    assert.equal(await t.emails("refund_issued"), 2);

    const second = await t.order(t.offer);
    await t.deliver(t.event("checkout.session.completed", t.session(second), now + 30));
    assert.equal(await t.access(), 1, "bought again");
    const dispute = {
      id: "dp_1",
      object: "dispute",
      amount: 4900,
      reason: "fraudulent",
      status: "needs_response",
      payment_intent: `pi_${second.slice(0, 8)}`,
    };
    await t.deliver(t.event("charge.dispute.created", dispute, now + 40));
    assert.equal(await t.status(second), "disputed");
    assert.equal(await t.access(), 0, "a dispute suspends access");
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: async payments, expiry, bad signatures, unknown events, failures", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    await t.deliver(t.event("checkout.session.completed", t.session(id, "unpaid")));
    assert.equal(await t.status(id), "pending", "an unpaid (async) session grants nothing yet");
    assert.equal(await t.access(), 0);
    await t.deliver(t.event("checkout.session.async_payment_failed", t.session(id, "unpaid")));
    assert.equal(await t.status(id), "failed");
    assert.equal(await t.emails("payment_failed"), 1);

    const abandoned = await t.order(t.offer);
    await t.deliver(
      t.event("checkout.session.expired", { ...t.session(abandoned, "unpaid"), status: "expired" }),
    );
    assert.equal(await t.status(abandoned), "expired", "an abandoned checkout expires");
    assert.equal(await t.access(), 0);

    const ok = await t.order(t.offer);
    await t.deliver(t.event("checkout.session.async_payment_succeeded", t.session(ok)));
    assert.equal(await t.status(ok), "paid");

    const bad = t.event("checkout.session.completed", t.session(ok));
    const forged = await t.deliver(bad, { secret: "whsec_wrong" });
    assert.equal(forged.status, 400);
    const old = await t.deliver(bad, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal(old.status, 400, "a stale timestamp is refused");
    assert.equal(
      (await t.sql`select 1 from private.stripe_events where event_id = ${bad.id}`).length,
      0,
      "nothing written",
    );

    const unknown = await t.deliver(
      t.event("customer.created", { id: "cus_1", object: "customer" }),
    );
    assert.equal(unknown.status, 200);
    assert.equal((await unknown.json()).result, "ignored: unhandled event type");

    // The course is archived between checkout and payment: the buyer paid, so it is honoured.
    await t.sql`delete from public.entitlements where user_id = ${t.buyer}`;
    const lateOrder = await t.order(t.offer);
    await t
      .sql`update public.courses set status = 'archived' where id = (select course_id from public.offers where id = ${t.offer})`;
    const honoured = await t.deliver(t.event("checkout.session.completed", t.session(lateOrder)));
    assert.equal((await honoured.json()).result, "applied");
    assert.equal(await t.status(lateOrder), "paid");
    assert.equal(await t.access(), 1, "a course unpublished after checkout is still granted");

    // A failure mid-event rolls back: a database fault injected into the grant.
    await t.sql`update public.courses set status = 'published' where id = ${t.course}`;
    await t.sql`delete from public.entitlements where user_id = ${t.buyer}`;
    const failingOrder = await t.order(t.offer);
    await t.sql.unsafe(`
      create function private.test_injected_fault() returns trigger language plpgsql set search_path = '' as $f$
      begin raise exception 'injected fault'; end $f$;
      create trigger test_injected_fault before insert on public.entitlements for each row
        when (new.user_id = '${t.buyer}') execute function private.test_injected_fault();`);
    const failing = t.event("checkout.session.completed", t.session(failingOrder));
    const res = await quietly(() => t.deliver(failing)).finally(async () => {
      await t.sql.unsafe(`drop trigger test_injected_fault on public.entitlements;
                          drop function private.test_injected_fault();`);
    });
    assert.equal(res.status, 500, "Stripe will retry");
    assert.equal(
      (await t.sql`select 1 from private.stripe_events where event_id = ${failing.id}`).length,
      0,
      "no ledger row",
    );
    assert.equal(await t.status(failingOrder), "pending", "nothing half-done");
    const retried = await t.deliver(failing);
    assert.equal((await retried.json()).result, "applied", "Stripe's retry then applies it");
    assert.equal(await t.access(), 1);
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: subscriptions grant the plan's courses until the period ends", async () => {
  const t = await setup();
  try {
    const orderId = await t.order(t.plan);
    const subId = `sub_${orderId.slice(0, 8)}`;
    const now = Math.floor(Date.now() / 1000);
    const completed = {
      ...t.session(orderId, "paid", 1900),
      mode: "subscription",
      subscription: subId,
      payment_intent: null,
    };
    await t.deliver(t.event("checkout.session.completed", completed, now));
    assert.equal(await t.status(orderId), "paid");
    assert.equal(await t.access(), 0, "access comes with the subscription's own event");
    assert.equal(await t.emails("purchase_receipt"), 1, "the purchase is confirmed with a receipt");

    const subscription = (status: string, periodEnd: number) => ({
      id: subId,
      object: "subscription",
      status,
      cancel_at_period_end: false,
      current_period_end: periodEnd,
      metadata: { order_id: orderId, user_id: t.buyer, offer_id: t.plan },
    });
    const end = now + 30 * 86400;
    const created = await (await t.deliver(
      t.event("customer.subscription.created", subscription("active", end), now + 1),
    )).json();
    assert.equal(created.result, "applied");
    assert.equal(await t.access(), 1, "an active subscription grants the plan's courses");
    const [e] = await t
      .sql`select source, ends_at from public.entitlements where user_id = ${t.buyer}`;
    assert.equal(e.source, "subscription");
    assert.equal(Math.round(e.ends_at.getTime() / 1000), end, "until the end of the paid period");
    const stale = await (await t.deliver(
      t.event("customer.subscription.updated", subscription("canceled", end), now - 100),
    )).json();
    assert.equal(stale.result, "stale", "an older update changes nothing");
    assert.equal(await t.access(), 1);

    const invoice = {
      id: `in_${orderId.slice(0, 8)}`,
      object: "invoice",
      subscription: subId,
      billing_reason: "subscription_cycle",
      amount_paid: 1900,
      currency: "usd",
    };
    await t.deliver(t.event("invoice.paid", invoice, now + 2));
    assert.equal(await t.emails("subscription_renewed"), 1);
    await t.deliver(
      t.event("invoice.payment_failed", {
        ...invoice,
        id: `in_failed_${orderId.slice(0, 8)}`,
        amount_due: 1900,
      }, now + 3),
    );
    assert.equal(await t.emails("payment_failed"), 1);

    await t.deliver(
      t.event("customer.subscription.deleted", subscription("canceled", end), now + 4),
    );
    assert.equal(await t.access(), 0, "a cancelled subscription revokes access");
    assert.equal(await t.emails("subscription_cancelled"), 1);
    assert.ok((await t.order(t.plan)).length > 0, "and the buyer may subscribe again");
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: a refund that arrives before the payment still ends with no access", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    const now = Math.floor(Date.now() / 1000);
    const refund = await t.deliver(t.event("charge.refunded", t.charge(id, 4900), now + 60));
    assert.deepEqual(await refund.json(), { received: true, result: "applied" });
    const paid = await t.deliver(t.event("checkout.session.completed", t.session(id), now));
    assert.deepEqual(await paid.json(), { received: true, result: "applied" });
    assert.equal(await t.status(id), "refunded");
    assert.equal(await t.access(), 0, "refunded means no access, whatever the order of arrival");
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: two paid orders for one course; refunding one keeps the access the other paid for", async () => {
  const t = await setup();
  try {
    const [bundle] = await t.sql`insert into public.offers (kind, title, owner_id)
      values ('bundle', 'Webhook bundle', ${t.seller}) returning id`;
    await t
      .sql`insert into public.offer_courses (offer_id, course_id) values (${bundle.id}, ${t.course})`;
    await t
      .sql`insert into public.offer_prices (offer_id, currency, amount) values (${bundle.id}, 'USD', 5000)`;
    const course = await t.order(t.offer);
    const both = await t.order(bundle.id);
    await t.deliver(t.event("checkout.session.completed", t.session(course)));
    await t.deliver(t.event("checkout.session.completed", t.session(both, "paid", 5000)));
    assert.equal(await t.status(both), "paid");
    await t.deliver(t.event("charge.refunded", t.charge(course, 4900)));
    assert.equal(await t.status(course), "refunded");
    assert.equal(await t.access(), 1, "the bundle still pays for the course");
    await t.deliver(t.event("charge.refunded", t.charge(both, 5000, 5000)));
    assert.equal(await t.access(), 0, "refunding the bundle too ends it");
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: a payment that does not match its order grants nothing and alerts admins", async () => {
  const t = await setup();
  try {
    const id = await t.order(t.offer);
    const res = await t.deliver(t.event("checkout.session.completed", t.session(id, "paid", 100)));
    assert.equal(res.status, 200, "answered, so Stripe stops retrying");
    assert.equal((await res.json()).result, "mismatch: charged 100 USD, the order is 4900 USD");
    assert.equal(await t.status(id), "needs_review");
    assert.equal(await t.access(), 0);
    const [{ n }] = await t.sql`select count(*)::int as n from public.notifications
      where user_id = ${t.seller} and kind = 'system_alert' and data ->> 'order_id' = ${id}`;
    assert.equal(n, 1, "admins are alerted");
    const eur = await t.order(t.offer);
    const wrongCurrency = { ...t.session(eur), currency: "eur" };
    const res2 = await t.deliver(t.event("checkout.session.completed", wrongCurrency));
    assert.match((await res2.json()).result, /^mismatch: charged 4900 EUR/);
    assert.equal(await t.access(), 0);
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: events that are not ours are answered 200 and recorded as ignored", async () => {
  const t = await setup();
  try {
    const cases: [string, Record<string, unknown>, string][] = [
      ["checkout.session.completed", {
        mode: "payment",
        metadata: { order_id: "ord_from_shopify" },
      }, "ignored: not our checkout session"],
      ["checkout.session.completed", {
        mode: "payment",
        metadata: { order_id: crypto.randomUUID() },
      }, "ignored: unknown order"],
      ["checkout.session.completed", { mode: "payment" }, "ignored: not our checkout session"],
      ["customer.subscription.created", {
        id: "sub_dash",
        status: "active",
        current_period_end: 1999999999,
        metadata: {},
      }, "ignored: not created by our checkout"],
      ["customer.subscription.updated", {
        id: "sub_dash2",
        status: "active",
        metadata: { user_id: "42", offer_id: "x" },
      }, "ignored: not created by our checkout"],
      [
        "invoice.paid",
        { id: "in_x", subscription: "sub_unknown" },
        "ignored: unknown subscription",
      ],
      [
        "charge.refunded",
        { id: "ch_x", amount: 100, amount_refunded: 100 },
        "ignored: not our payment",
      ],
    ];
    for (const [type, object, result] of cases) {
      const evt = t.event(type, object);
      const res = await t.deliver(evt);
      assert.equal(res.status, 200, `${type}: ${result}`);
      assert.equal((await res.json()).result, result);
      const [row] = await t
        .sql`select result from private.stripe_events where event_id = ${evt.id}`;
      assert.equal(row.result, result, "the ledger says why");
    }
  } finally {
    await t.teardown();
  }
});

Deno.test("stripe-webhook: a payment for a seat lost meanwhile refunds itself through Stripe", async () => {
  const t = await setup();
  const other = await createUser(t.sql, `wh-other-${crypto.randomUUID().slice(0, 8)}@test.local`);
  try {
    const [s] = await t
      .sql`insert into public.live_sessions (title, starts_at, is_published, is_free, capacity, created_by)
      values ('Last seat class', now() + interval '3 days', true, false, 1, ${t.seller}) returning id`;
    const [seat] = await t.sql`insert into public.offers (kind, title, session_id, owner_id)
      values ('session', 'Last seat', ${s.id}, ${t.seller}) returning id`;
    await t
      .sql`insert into public.offer_prices (offer_id, currency, amount) values (${seat.id}, 'USD', 900)`;
    const late = await t.order(seat.id);
    await t
      .sql`update public.orders set hold_expires_at = now() - interval '1 minute' where id = ${late}`;
    const [quick] = await asCaller(
      t.sql,
      await claimsFor(t.sql, other),
      (tx) => tx<{ id: string }[]>`select id from public.create_order(${seat.id}, 'USD')`,
    );
    const quickPaid = await t.deliver(t.event("checkout.session.completed", {
      ...t.session(quick.id, "paid", 900),
      metadata: { order_id: quick.id, user_id: other },
    }));
    assert.equal((await quickPaid.json()).result, "applied", "the other buyer got the seat");

    const evt = t.event("checkout.session.completed", t.session(late, "paid", 900));
    const res = await t.deliver(evt);
    assert.deepEqual(await res.json(), { received: true, result: "refund_required" });
    const refunds = () => t.fake.requests.filter((r) => r.path === "/v1/refunds");
    assert.equal(refunds().length, 1, "the refund is asked of Stripe at once");
    assert.equal(refunds()[0].form.payment_intent, `pi_${late.slice(0, 8)}`);
    assert.equal(refunds()[0].form.amount, "900", "in full");
    assert.equal(refunds()[0].form["metadata[reason]"], "seat_lost");
    assert.equal(refunds()[0].headers["idempotency-key"], `auto-refund-${late}`);
    assert.equal(await t.status(late), "refund_pending");
    assert.equal(await t.emails("order_auto_refund"), 1, "the buyer is told");
    const [{ n: registered }] = await t
      .sql`select count(*)::int as n from public.live_session_registrations
      where session_id = ${s.id} and cancelled_at is null`;
    assert.equal(registered, 1, "the session is not oversold");

    const again = await t.deliver(evt);
    assert.equal((await again.json()).result, "refund_required", "a redelivery asks again");
    assert.equal(
      refunds()[1].headers["idempotency-key"],
      `auto-refund-${late}`,
      "with the same key",
    );

    await t.deliver(t.event("charge.refunded", t.charge(late, 900, 900)));
    assert.equal(await t.status(late), "refunded");
    const done = await t.deliver(evt);
    assert.equal((await done.json()).result, "duplicate");
    assert.equal(refunds().length, 2, "nothing more once Stripe confirmed");
  } finally {
    await t.sql`delete from public.orders where user_id = ${other}`;
    await deleteUsers(t.sql, [other]);
    await t.teardown();
  }
});

Deno.test("stripe-webhook: Stripe unreachable while refunding: 500, and the retry refunds", async () => {
  const t = await setup();
  const down = createStripeWebhook(
    stripeWebhookConfig.parse({
      SUPABASE_DB_URL: testDbUrl(),
      STRIPE_SECRET_KEY: "sk_test_x",
      STRIPE_WEBHOOK_SECRET: secret,
      ...stripeApiAt("127.0.0.1", 9), // nothing listens there
    }),
    { sql: connect(testDbUrl(), { max: 2 }) },
  );
  try {
    const [s] = await t
      .sql`insert into public.live_sessions (title, starts_at, is_published, is_free, capacity, created_by)
      values ('Cancelled class', now() + interval '3 days', true, false, 5, ${t.seller}) returning id`;
    const [seat] = await t.sql`insert into public.offers (kind, title, session_id, owner_id)
      values ('session', 'Cancelled seat', ${s.id}, ${t.seller}) returning id`;
    await t
      .sql`insert into public.offer_prices (offer_id, currency, amount) values (${seat.id}, 'USD', 900)`;
    const id = await t.order(seat.id);
    await t.sql`update public.live_sessions set status = 'cancelled' where id = ${s.id}`;
    const evt = t.event("checkout.session.completed", t.session(id, "paid", 900));
    const payload = JSON.stringify(evt);
    const header = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret,
      cryptoProvider: webhookCryptoProvider,
    });
    const failed = await quietly(() =>
      down.fetch(
        new Request("http://localhost/stripe-webhook", {
          method: "POST",
          headers: { "stripe-signature": header },
          body: payload,
        }),
      )
    );
    assert.equal(failed.status, 500, "Stripe will deliver the event again");
    assert.equal((await failed.json()).error.code, "refund_failed");
    assert.equal(await t.status(id), "refund_pending", "the decision to refund is kept");
    const retried = await t.deliver(evt);
    assert.equal((await retried.json()).result, "refund_required");
    assert.equal(
      t.fake.requests.filter((r) => r.path === "/v1/refunds").length,
      1,
      "the retry refunds",
    );
  } finally {
    await down.close();
    await t.teardown();
  }
});

Deno.test("stripe-webhook: no Supabase credential is asked for or looked at; only Stripe's signature counts", async () => {
  const project = await startTestProject();
  // No SUPABASE_URL, no keys: the webhook reads none of the authentication settings.
  const hook = fromEnv({
    SUPABASE_DB_URL: testDbUrl(),
    STRIPE_SECRET_KEY: "sk_test_x",
    STRIPE_WEBHOOK_SECRET: secret,
  });
  const payload = JSON.stringify({
    id: `evt_public_${crypto.randomUUID().slice(0, 8)}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: "customer.created",
    data: { object: { id: "cus_public", object: "customer" } },
  });
  const post = (headers: Record<string, string>) =>
    hook.fetch(
      postJson("stripe-webhook", payload, headers),
    );
  try {
    const signature = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret,
      cryptoProvider: webhookCryptoProvider,
    });
    for (
      const extra of [
        {},
        { authorization: "Bearer not-a-jwt" },
        { apikey: "sb_publishable_not-this-project" },
      ] as Record<string, string>[]
    ) {
      const res = await post({ "stripe-signature": signature, ...extra });
      assert.equal(res.status, 200, JSON.stringify(extra));
      await res.body?.cancel();
    }
    const keyOnly = await post({ apikey: project.secretKey });
    assert.equal(keyOnly.status, 400, "the project's secret key does not stand in for Stripe's");
    assert.equal((await keyOnly.json()).error.code, "bad_signature");
  } finally {
    await hook.close();
    await project.close();
  }
});
