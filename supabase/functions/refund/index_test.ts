// refund: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";

testFunctionAuth({
  name: "refund",
  fromEnv,
  setup: () =>
    Promise.resolve({
      env: {
        SUPABASE_DB_URL: testDbUrl(),
        // Unreachable: each caller below is answered before the function would call Stripe.
        STRIPE_SECRET_KEY: "sk_test_auth_suite",
        STRIPE_API_HOST: "127.0.0.1",
        STRIPE_API_PORT: "9",
        STRIPE_API_PROTOCOL: "http",
        CHECKOUT_ALLOWED_ORIGINS: "https://learn.example.com",
      },
    }),
  body: { order_id: crypto.randomUUID(), idempotency_key: "auth-suite-refund" },
  expect: {
    user: { status: 403, code: "admin_only" }, // request_refund ran as the student: admins only
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 403, code: "42501" },
  },
});
