import assert from "node:assert/strict";
import { stripeUnreachable, testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { connect } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeStripe } from "../_shared/testing/fake-stripe.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, planOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import { paymentsConfig as checkoutConfig, STRIPE_API_VERSION } from "../_shared/stripe.ts";
import { createCheckout, fromEnv } from "./index.ts";
import { quietly } from "../_shared/testing/console.ts";
import { postJson } from "../_shared/testing/requests.ts";

const site = "https://learn.example.com";

// Every test opens with `const t = await setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
async function setup() {
  const sql = connect(testDbUrl(), { max: 2 });
  const stripe = startFakeStripe();
  const project = await startTestProject();
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `seller-${tag}@test.local`, { role: "instructor" });
  const buyer = await createUser(sql, `buyer-${tag}@test.local`);
  const course = await publishedCourse(sql, seller, { slug: `paid-${tag}`, title: "Paid Course" });
  const offer = { id: await courseOffer(sql, course.id, seller, "Paid Course", { USD: 4900 }) };
  const plan = { id: await planOffer(sql, seller, "Monthly access", { USD: 1900 }) };
  await sql`insert into public.coupons (code, kind, percent_off, owner_id) values (${
    "HALF" + tag.toUpperCase()
  }, 'percent', 50, ${seller}),
                                                                              (${
    "FREE" + tag.toUpperCase()
  }, 'percent', 100, ${seller})`;
  const config = checkoutConfig.parse({
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    ...stripe.env,
    CHECKOUT_ALLOWED_ORIGINS: `${site},http://localhost:3000`,
  });
  const token = await project.accessToken(sql, buyer);
  const fn = createCheckout(config);
  const checkout = (body: Record<string, unknown>, bearer = token) =>
    fn.fetch(
      postJson("checkout", {
        currency: "usd",
        success_url: `${site}/thanks`,
        cancel_url: `${site}/cart`,
        ...body,
      }, { authorization: `Bearer ${bearer}` }),
    );
  const teardown = async () => {
    await fn.close();
    await stripe.close();
    await project.close();
    await sql`delete from public.orders where user_id = ${buyer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, buyer]);
    await sql.end();
  };
  return {
    sql,
    stripe,
    project,
    config,
    tag: tag.toUpperCase(),
    buyer,
    offer: offer.id as string,
    plan: plan.id as string,
    course: course.id,
    checkout,
    teardown,
  };
}

Deno.test("checkout: the database price, metadata, idempotency keys and one customer per user", async () => {
  const t = await setup();
  try {
    const res = await t.checkout({
      offer_id: t.offer,
      coupon_code: `half${t.tag}`,
      amount: 1,
      unit_amount: 1,
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.match(body.url, /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const [order] = await t
      .sql`select id, status, total, stripe_checkout_session_id from public.orders where user_id = ${t.buyer}`;
    assert.equal(body.order_id, order.id);
    assert.equal(order.status, "pending");
    assert.equal(order.stripe_checkout_session_id, body.session_id);

    const customer = t.stripe.requests.find((r) => r.path === "/v1/customers")!;
    assert.equal(customer.headers["idempotency-key"], `customer-${t.buyer}`);
    assert.equal(customer.form["metadata[user_id]"], t.buyer);
    const session = t.stripe.requests.find((r) => r.path === "/v1/checkout/sessions")!;
    assert.equal(session.headers["idempotency-key"], `checkout-${order.id}`);
    assert.equal(
      session.headers["stripe-version"],
      STRIPE_API_VERSION,
      "the API version is pinned",
    );
    assert.equal(session.form.mode, "payment");
    assert.equal(
      session.form["line_items[0][price_data][unit_amount]"],
      "2450",
      "the database price after the coupon, not the client's",
    );
    assert.equal(session.form["line_items[0][price_data][currency]"], "usd");
    assert.equal(session.form.client_reference_id, order.id);
    assert.equal(session.form["metadata[order_id]"], order.id);
    assert.equal(session.form["payment_intent_data[metadata][order_id]"], order.id);
    assert.equal(session.form["payment_intent_data[metadata][user_id]"], t.buyer);

    const plan = await (await t.checkout({ offer_id: t.plan })).json();
    assert.ok(plan.url);
    assert.equal(
      t.stripe.requests.filter((r) => r.path === "/v1/customers").length,
      1,
      "the customer is reused",
    );
    const sub = t.stripe.requests.filter((r) => r.path === "/v1/checkout/sessions")[1];
    assert.equal(sub.form.mode, "subscription");
    assert.equal(sub.form["line_items[0][price_data][recurring][interval]"], "month");
    assert.equal(sub.form["subscription_data[metadata][order_id]"], plan.order_id);
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: a foreign return URL is refused and nothing is created", async () => {
  const t = await setup();
  try {
    const res = await t.checkout({
      offer_id: t.offer,
      success_url: "https://evil.example.net/phish",
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "redirect_not_allowed");
    assert.equal(t.stripe.requests.length, 0);
    assert.equal((await t.sql`select 1 from public.orders where user_id = ${t.buyer}`).length, 0);
    assert.equal((await t.checkout({ offer_id: "nope" })).status, 400, "input is validated");
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: a zero total is fulfilled without Stripe; an owned course is refused", async () => {
  const t = await setup();
  try {
    const res = await t.checkout({ offer_id: t.offer, coupon_code: `FREE${t.tag}` });
    assert.deepEqual((await res.json()).status, "paid");
    assert.equal(t.stripe.requests.length, 0, "Stripe is not called");
    const [e] = await t
      .sql`select source from public.entitlements where user_id = ${t.buyer} and course_id = ${t.course}`;
    assert.equal(e.source, "purchase");
    const again = await t.checkout({ offer_id: t.offer });
    assert.equal(again.status, 400);
    assert.deepEqual((await again.json()).error, {
      code: "already_owned",
      message: "you already have this",
    });
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: Stripe's session ends before the order's hold; a retry reuses both", async () => {
  const t = await setup();
  try {
    const first = await (await t.checkout({ offer_id: t.offer })).json();
    const [order] = await t
      .sql`select hold_expires_at from public.orders where id = ${first.order_id}`;
    const session = t.stripe.requests.find((r) => r.path === "/v1/checkout/sessions")!;
    const expiresAt = Number(session.form.expires_at);
    const now = Date.now() / 1000;
    assert.ok(expiresAt >= now + 30 * 60, "at least Stripe's 30-minute minimum");
    assert.ok(
      expiresAt < order.hold_expires_at.getTime() / 1000,
      "and before the seat and coupon are released",
    );
    const second = await (await t.checkout({ offer_id: t.offer })).json();
    assert.equal(second.order_id, first.order_id, "opening checkout again: the same order");
    assert.equal(
      second.session_id,
      first.session_id,
      "and the same Stripe session (idempotency key)",
    );
    const [{ n }] = await t
      .sql`select count(*)::int as n from public.orders where user_id = ${t.buyer}`;
    assert.equal(n, 1);
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: the anon key (nobody signed in) is 401 42501 from create_order, and writes nothing", async () => {
  const t = await setup();
  try {
    const res = await t.checkout({ offer_id: t.offer }, t.project.legacyAnonKey);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "42501");
    assert.equal(t.stripe.requests.length, 0, "Stripe is not called");
    const [{ n }] = await t
      .sql`select count(*)::int as n from public.orders where offer_id = ${t.offer}`;
    assert.equal(n, 0);
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: a valid token of a deleted account is 401 and writes nothing", async () => {
  const t = await setup();
  const gone = await createUser(t.sql, `gone-${t.tag.toLowerCase()}@test.local`);
  try {
    const token = await t.project.accessToken(t.sql, gone);
    await deleteUsers(t.sql, [gone]);
    const res = await t.checkout({ offer_id: t.offer }, token);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, "invalid_token");
    assert.equal(t.stripe.requests.length, 0);
    assert.equal((await t.sql`select 1 from public.orders where user_id = ${gone}`).length, 0);
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: a course that is not on sale is refused with its code, before Stripe", async () => {
  const t = await setup();
  try {
    await t.sql`update public.courses set status = 'archived' where id = ${t.course}`;
    const res = await t.checkout({ offer_id: t.offer });
    assert.equal(res.status, 400);
    assert.deepEqual((await res.json()).error, {
      code: "course_not_available",
      message: "this offer includes a course that is not available",
    });
    assert.equal(t.stripe.requests.length, 0);
    assert.equal((await t.sql`select 1 from public.orders where user_id = ${t.buyer}`).length, 0);
  } finally {
    await t.teardown();
  }
});

Deno.test("checkout: Stripe unreachable is a 503, not a 500", async () => {
  const t = await setup();
  const down = createCheckout({ ...t.config, STRIPE_API_HOST: "127.0.0.1", STRIPE_API_PORT: 9 });
  try {
    const token = await t.project.accessToken(t.sql, t.buyer);
    const res = await quietly(() =>
      down.fetch(
        postJson("checkout", {
          offer_id: t.offer,
          currency: "USD",
          success_url: `${site}/ok`,
          cancel_url: `${site}/cart`,
        }, { authorization: `Bearer ${token}` }),
      )
    );
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "stripe_unavailable");
  } finally {
    await down.close();
    await t.teardown();
  }
});

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "checkout",
  fromEnv,
  setup: stripeUnreachable,
  body: {
    offer_id: crypto.randomUUID(),
    currency: "USD",
    success_url: "https://learn.example.com/thanks",
    cancel_url: "https://learn.example.com/cart",
  },
  expect: {
    user: { status: 404, code: "offer_not_found" }, // create_order ran as the buyer: no such offer
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 403, code: "42501" },
  },
});
