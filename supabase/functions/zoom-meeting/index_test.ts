// zoom-meeting: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth, zoomUnreachable } from "../_shared/testing/auth-suite.ts";
import { fromEnv } from "./index.ts";

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "zoom-meeting",
  fromEnv,
  setup: zoomUnreachable,
  body: { session_id: crypto.randomUUID(), action: "create" },
  expect: {
    user: { status: 404, code: "session_not_found" }, // zoom_session ran as the caller: no such session
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 404, code: "session_not_found" }, // the service role may look; there is no such session
  },
});
