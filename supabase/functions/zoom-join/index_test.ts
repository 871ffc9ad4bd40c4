// zoom-join: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth, zoomUnreachable } from "../_shared/testing/auth-suite.ts";
import { fromEnv } from "./index.ts";

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "zoom-join",
  fromEnv,
  setup: zoomUnreachable,
  body: { session_id: crypto.randomUUID() },
  expect: {
    user: { status: 404, code: "session_not_found" }, // zoom_join_info ran as the caller: no such session
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 403, code: "42501" },
  },
});
