// zoom-join: who may call it (the shared authentication tests, against its real handler).
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";

testFunctionAuth({
  name: "zoom-join",
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
  body: { session_id: crypto.randomUUID() },
  expect: {
    user: { status: 404, code: "session_not_found" }, // zoom_join_info ran as the caller: no such session
    anon: { status: 401, code: "42501" }, // refused as anon: 401, as PostgREST answers it
    service: { status: 403, code: "42501" },
  },
});
