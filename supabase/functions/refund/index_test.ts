// refund: who may call it (the shared authentication tests, against its real handler).
import { stripeUnreachable, testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { fromEnv } from "./index.ts";

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "refund",
  fromEnv,
  setup: stripeUnreachable,
  body: { order_id: crypto.randomUUID(), idempotency_key: "auth-suite-refund" },
  expect: {
    user: { status: 403, code: "admin_only" }, // request_refund ran as the student: admins only
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 403, code: "42501" },
  },
});
