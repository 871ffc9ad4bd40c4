// End to end against the fakes: checkout -> signed webhook -> entitlement and receipt ->
// admin refund -> refund_pending -> signed charge.refunded -> access revoked.
import assert from "node:assert/strict";
import { connect } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeStripe } from "../_shared/testing/fake-stripe.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import {
  paymentsConfig as checkoutConfig,
  stripeClient,
  webhookCryptoProvider,
} from "../_shared/stripe.ts";
import { createCheckout } from "../checkout/index.ts";
import { createRefund } from "../refund/index.ts";
import { createStripeWebhook, stripeWebhookConfig } from "../stripe-webhook/index.ts";
import { postJson } from "../_shared/testing/requests.ts";

Deno.test("purchase and refund, end to end", async () => {
  const sql = connect(testDbUrl(), { max: 2 });
  const fake = startFakeStripe();
  const project = await startTestProject();
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `e2e-seller-${tag}@test.local`, { role: "instructor" });
  const buyer = await createUser(sql, `e2e-buyer-${tag}@test.local`);
  const admin = await createUser(sql, `e2e-admin-${tag}@test.local`, { role: "admin" });
  const config = checkoutConfig.parse({
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    ...fake.env,
    CHECKOUT_ALLOWED_ORIGINS: "https://learn.example.com",
  });
  const checkout = createCheckout(config);
  const refund = createRefund(config);
  const webhook = createStripeWebhook(stripeWebhookConfig.parse({
    SUPABASE_DB_URL: testDbUrl(),
    STRIPE_SECRET_KEY: "sk_test_fake",
    STRIPE_WEBHOOK_SECRET: "whsec_e2e",
  }));
  const stripe = stripeClient({ STRIPE_SECRET_KEY: "sk_test_fake" });
  const token = (user: string) => project.accessToken(sql, user);
  const call = async (
    fn: { fetch: (r: Request) => Promise<Response> },
    user: string,
    body: unknown,
  ) =>
    await fn.fetch(
      postJson("fn", body, { authorization: `Bearer ${await token(user)}` }),
    );
  const deliver = async (type: string, object: Record<string, unknown>) => {
    const payload = JSON.stringify({
      id: `evt_${crypto.randomUUID()}`,
      object: "event",
      type,
      created: Math.floor(Date.now() / 1000),
      data: { object },
    });
    const header = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: "whsec_e2e",
      cryptoProvider: webhookCryptoProvider,
    });
    return await webhook.fetch(
      new Request("http://localhost/stripe-webhook", {
        method: "POST",
        headers: { "stripe-signature": header },
        body: payload,
      }),
    );
  };
  try {
    const course = await publishedCourse(sql, seller, { slug: `e2e-${tag}`, title: "E2E Course" });
    const offer = { id: await courseOffer(sql, course.id, seller, "E2E Course", { EUR: 3900 }) };
    const hasAccess = async () =>
      (await sql`select count(*)::int as n from public.entitlements e where e.user_id = ${buyer} and e.course_id = ${course.id} and private.is_active(e)`)[
        0
      ].n === 1;

    // 1. checkout
    const started = await (await call(checkout, buyer, {
      offer_id: offer.id,
      currency: "EUR",
      success_url: "https://learn.example.com/ok",
      cancel_url: "https://learn.example.com/cart",
    })).json();
    assert.ok(started.url);
    assert.equal(await hasAccess(), false, "no access before payment");

    // 2. Stripe reports the payment
    const session = {
      id: started.session_id,
      object: "checkout.session",
      mode: "payment",
      status: "complete",
      payment_status: "paid",
      payment_intent: "pi_e2e_1",
      amount_total: 3900,
      currency: "eur",
      metadata: { order_id: started.order_id, user_id: buyer, offer_id: offer.id },
    };
    assert.equal(
      (await (await deliver("checkout.session.completed", session)).json()).result,
      "applied",
    );
    assert.equal(await hasAccess(), true, "access after payment");
    const [{ n: receipts }] =
      await sql`select count(*)::int as n from private.email_outbox where to_user_id = ${buyer} and template = 'purchase_receipt'`;
    assert.equal(receipts, 1, "a receipt is in the outbox");

    // 3. refunds are for admins
    const denied = await call(refund, buyer, {
      order_id: started.order_id,
      idempotency_key: "attempt-0001",
    });
    assert.equal(denied.status, 403);
    const refunded = await call(refund, admin, {
      order_id: started.order_id,
      idempotency_key: "attempt-0002",
    });
    assert.equal(refunded.status, 200);
    const request = fake.requests.find((r) => r.path === "/v1/refunds")!;
    assert.equal(request.form.payment_intent, "pi_e2e_1");
    assert.equal(request.form.amount, "3900");
    assert.equal(request.headers["idempotency-key"], `refund-${started.order_id}-attempt-0002`);
    const [{ status: pending }] =
      await sql`select status from public.orders where id = ${started.order_id}`;
    assert.equal(pending, "refund_pending");
    assert.equal(await hasAccess(), true, "access stays until Stripe confirms");

    // 4. Stripe confirms the refund
    await deliver("charge.refunded", {
      id: "ch_e2e",
      object: "charge",
      amount: 3900,
      amount_refunded: 3900,
      payment_intent: "pi_e2e_1",
    });
    const [{ status }] = await sql`select status from public.orders where id = ${started.order_id}`;
    assert.equal(status, "refunded");
    assert.equal(await hasAccess(), false, "the refund revoked access");
  } finally {
    await checkout.close();
    await refund.close();
    await webhook.close();
    await fake.close();
    await project.close();
    await sql`delete from public.orders where user_id = ${buyer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, buyer, admin]);
    await sql.end();
  }
});
