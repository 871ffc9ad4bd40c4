// stripe-webhook with events signed by stripe-node's own generateTestHeaderStringAsync.
import assert from "node:assert/strict";
import Stripe from "stripe";
import { asCaller, connect } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import { createStripeWebhook, stripeWebhookConfig } from "./index.ts";

const secret = "whsec_test_secret";
const stripe = new Stripe("sk_test_x", { httpClient: Stripe.createFetchHttpClient() });
const crypto_ = Stripe.createSubtleCryptoProvider();
let seq = 0;

async function setup() {
  const sql = connect(testDbUrl(), { max: 2 });
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `wh-seller-${tag}@test.local`, { role: "instructor" });
  const buyer = await createUser(sql, `wh-buyer-${tag}@test.local`);
  await sql`insert into public.user_roles (user_id, role) values (${seller}, 'admin')`; // receives dispute alerts
  const course = await publishedCourse(sql, seller, { slug: `wh-${tag}`, title: "Webhook Course" });
  const offer = { id: await courseOffer(sql, course.id, seller, "Webhook Course", { USD: 4900 }) };
  const [plan] =
    await sql`insert into public.offers (kind, title, plan_interval, plan_scope, owner_id)
    values ('plan', 'Webhook plan', 'month', 'instructor', ${seller}) returning id`;
  await sql`insert into public.offer_prices (offer_id, currency, amount) values (${plan.id}, 'USD', 1900)`;
  const claims = await claimsFor(sql, buyer);
  const order = async (offerId: string) =>
    (await asCaller(
      sql,
      claims,
      (tx) => tx<{ id: string }[]>`select id from public.create_order(${offerId}, 'USD')`,
    ))[0].id;
  const hook = createStripeWebhook(
    stripeWebhookConfig.parse({
      SUPABASE_DB_URL: testDbUrl(),
      STRIPE_SECRET_KEY: "sk_test_x",
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
      cryptoProvider: crypto_,
    });
    return await hook.fetch(
      new Request("http://localhost/stripe-webhook", {
        method: "POST",
        headers: { "stripe-signature": header, "content-type": "application/json" },
        body: payload,
      }),
    );
  };
  const session = (orderId: string, payment_status = "paid") => ({
    id: `cs_test_${orderId.slice(0, 8)}`,
    object: "checkout.session",
    mode: "payment",
    status: "complete",
    payment_status,
    payment_intent: `pi_${orderId.slice(0, 8)}`,
    amount_total: 4900,
    currency: "usd",
    client_reference_id: orderId,
    metadata: { order_id: orderId, user_id: buyer },
  });
  const charge = (orderId: string, amount_refunded: number) => ({
    id: `ch_${orderId.slice(0, 8)}`,
    object: "charge",
    amount: 4900,
    amount_refunded,
    refunded: amount_refunded >= 4900,
    currency: "usd",
    payment_intent: `pi_${orderId.slice(0, 8)}`,
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
    await sql`delete from public.subscriptions where user_id = ${buyer}`;
    await sql`delete from public.orders where user_id = ${buyer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, buyer]);
    await sql.end();
  };
  const t = {
    sql,
    buyer,
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
    assert.equal((await unknown.json()).result, "ignored");

    // A failure mid-event rolls back: the course was archived after the order, so the new
    // entitlement is refused inside fulfilment.
    await t.sql`delete from public.entitlements where user_id = ${t.buyer}`;
    const planOrder = await t.order(t.offer);
    await t
      .sql`update public.courses set status = 'archived' where id = (select course_id from public.offers where id = ${t.offer})`;
    const failing = t.event("checkout.session.completed", t.session(planOrder));
    const original = console.error;
    console.error = () => {};
    const res = await t.deliver(failing).finally(() => console.error = original);
    assert.equal(res.status, 500, "Stripe will retry");
    assert.equal(
      (await t.sql`select 1 from private.stripe_events where event_id = ${failing.id}`).length,
      0,
      "no ledger row",
    );
    assert.equal(await t.status(planOrder), "pending", "nothing half-done");
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
      ...t.session(orderId),
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
