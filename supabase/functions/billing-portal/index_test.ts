import assert from "node:assert/strict";
import { stripeUnreachable, testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { connect } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeStripe } from "../_shared/testing/fake-stripe.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { paymentsConfig as checkoutConfig } from "../_shared/stripe.ts";
import { createBillingPortal, fromEnv } from "./index.ts";

Deno.test("billing-portal: a portal session for the caller's own customer only", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const fake = startFakeStripe();
  const project = await startTestProject();
  const tag = crypto.randomUUID().slice(0, 8);
  const customer = await createUser(sql, `bp-${tag}@test.local`);
  const stranger = await createUser(sql, `bp-none-${tag}@test.local`);
  await sql`select public.save_stripe_customer(${customer}, ${"cus_bp_" + tag})`;
  const fn = createBillingPortal(checkoutConfig.parse({
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    ...fake.env,
    CHECKOUT_ALLOWED_ORIGINS: "https://learn.example.com",
  }));
  const tokenFor = (user: string) => project.accessToken(sql, user);
  const call = async (
    user: string,
    return_url = "https://learn.example.com/account",
    token?: string,
  ) =>
    await fn.fetch(
      new Request("http://localhost/billing-portal", {
        method: "POST",
        headers: { authorization: `Bearer ${token ?? await tokenFor(user)}` },
        body: JSON.stringify({ return_url }),
      }),
    );
  try {
    const res = await call(customer);
    assert.equal(res.status, 200);
    assert.match((await res.json()).url, /^https:\/\/billing\.stripe\.com\/p\/session\//);
    const sent = fake.requests.find((r) => r.path === "/v1/billing_portal/sessions")!;
    assert.equal(sent.form.customer, `cus_bp_${tag}`, "the caller's own customer");
    assert.equal((await call(stranger)).status, 404, "no customer, nothing to manage");
    assert.equal(
      (await call(customer, "https://evil.example.net/")).status,
      400,
      "foreign return URLs are refused",
    );
    const gone = await createUser(sql, `bp-gone-${tag}@test.local`);
    const goneToken = await tokenFor(gone);
    await deleteUsers(sql, [gone]);
    const deleted = await call(gone, undefined, goneToken);
    assert.equal(deleted.status, 401, "a valid token of a deleted account");
    assert.equal((await deleted.json()).error.code, "invalid_token");
    const anon = await call(customer, undefined, project.legacyAnonKey);
    assert.equal(anon.status, 401, "the anon key: nobody is signed in");
    assert.equal((await anon.json()).error.code, "unauthorized");
  } finally {
    await fn.close();
    await fake.close();
    await project.close();
    await deleteUsers(sql, [customer, stranger]);
    await sql.end();
  }
});

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "billing-portal",
  fromEnv,
  setup: stripeUnreachable,
  body: { return_url: "https://learn.example.com/account" },
  expect: {
    user: { status: 404, code: "no_customer" }, // the signed-in caller's own customer: none yet
    anon: { status: 401, code: "unauthorized" },
    service: { status: 401, code: "unauthorized" },
  },
});
