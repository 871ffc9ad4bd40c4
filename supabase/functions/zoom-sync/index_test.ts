// zoom-sync: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";

testFunctionAuth({
  name: "zoom-sync",
  fromEnv,
  setup: () =>
    Promise.resolve({
      env: {
        SUPABASE_DB_URL: testDbUrl(),
        // Unreachable: each caller below is answered before the function would call Zoom.
        ZOOM_ACCOUNT_ID: "acct_auth_suite",
        ZOOM_CLIENT_ID: "zoom-client",
        ZOOM_CLIENT_SECRET: "zoom-secret",
        ZOOM_API_BASE: "http://127.0.0.1:9/v2",
        ZOOM_OAUTH_URL: "http://127.0.0.1:9/oauth/token",
      },
    }),
  body: { batch_size: 1 },
  expect: {
    user: { status: 403, code: "service_only" },
    anon: { status: 403, code: "service_only" },
    service: { status: 200 }, // drained (at most one job, against an unreachable Zoom)
  },
});
