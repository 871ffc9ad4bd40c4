// zoom-sync: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth, zoomUnreachable } from "../_shared/testing/auth-suite.ts";
import { fromEnv } from "./index.ts";

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "zoom-sync",
  fromEnv,
  setup: zoomUnreachable,
  body: { batch_size: 1 },
  expect: {
    user: { status: 403, code: "service_only" },
    anon: { status: 403, code: "service_only" },
    service: { status: 200 }, // drained (at most one job, against an unreachable Zoom)
  },
});
