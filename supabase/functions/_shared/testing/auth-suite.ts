// The authentication tests every function that authenticates its callers runs against its real
// handler (built by its `fromEnv`, as the platform builds it): which credentials it accepts, and
// that it refuses every bad token with 401 {error: {code: "invalid_token" | "missing_token"}}.
// A function's test file calls `testFunctionAuth` once; the fixtures are in auth.ts.
import assert from "node:assert/strict";
import { connect, type Sql } from "../db.ts";
import {
  apiKey,
  authHeaders,
  signingKey,
  signWithKey,
  signWithSecret,
  startTestProject,
  unsecuredToken,
  userClaims,
} from "./auth.ts";
import { stripeApiAt } from "./fake-stripe.ts";
import { zoomEnv } from "./fake-zoom.ts";
import { createUser, deleteUsers, testDbUrl } from "./users.ts";
import { postJson } from "./requests.ts";

type Env = Record<string, string | undefined>;
type Handler = { fetch: (req: Request) => Promise<Response>; close: () => Promise<void> };

/** What a request got: its status and error code (none on success). */
export interface Outcome {
  status: number;
  code?: string;
}

export interface FunctionAuthCase {
  /** The function's name, as in supabase/functions/<name>. */
  name: string;
  /** Its handler built from an environment (the function's exported `fromEnv`). */
  fromEnv: (env: Env) => Handler;
  /**
   * The function's own settings (its third parties; the suite adds the test database), for one
   * test; `close` stops fakes. `stripeUnreachable` and `zoomUnreachable` do for most functions.
   */
  setup: (sql: Sql) => Promise<{ env: Env; close?: () => Promise<void> }>;
  /** The body every call sends. */
  body: Record<string, unknown>;
  /**
   * What each accepted caller gets, which shows the function ran as that caller: a signed-in
   * user (a student), an anonymous caller (a publishable or legacy anon key), and a service
   * caller (a secret key or the legacy service_role key).
   */
  expect: { user: Outcome; anon: Outcome; service: Outcome };
}

/**
 * A `setup` for a Stripe function: Stripe where nothing listens (port 9), as each caller the suite
 * sends is answered before the function would call it, and the site checkout may return to.
 */
export const stripeUnreachable = () =>
  Promise.resolve({
    env: {
      STRIPE_SECRET_KEY: "sk_test_auth_suite",
      ...stripeApiAt("127.0.0.1", 9),
      CHECKOUT_ALLOWED_ORIGINS: "https://learn.example.com",
    },
  });

/** A `setup` for a Zoom function: Zoom where nothing listens (port 9), as stripeUnreachable. */
export const zoomUnreachable = () => Promise.resolve({ env: zoomEnv("http://127.0.0.1:9") });

async function outcome(res: Response): Promise<Outcome & { authenticate: string | null }> {
  const text = await res.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch { /* not JSON */ }
  return { status: res.status, code, authenticate: res.headers.get("www-authenticate") };
}

async function context(c: FunctionAuthCase, extraEnv: Env = {}) {
  const sql = connect(testDbUrl(), { max: 1 });
  const project = await startTestProject();
  const student = await createUser(
    sql,
    `auth-${c.name}-${crypto.randomUUID().slice(0, 8)}@test.local`,
  );
  const fn = await c.setup(sql);
  const handler = c.fromEnv({
    SUPABASE_DB_URL: testDbUrl(),
    ...fn.env,
    ...project.env,
    ...extraEnv,
  });
  const call = async (creds: { bearer?: string; apikey?: string; authorization?: string }) => {
    const headers: Record<string, string> = {
      ...authHeaders(creds),
      ...(creds.authorization !== undefined ? { authorization: creds.authorization } : {}),
    };
    return await outcome(await handler.fetch(postJson(c.name, c.body, headers)));
  };
  const teardown = async () => {
    await handler.close();
    await fn.close?.();
    await project.close();
    await deleteUsers(sql, [student]);
    await sql.end();
  };
  return { sql, project, student, call, teardown };
}

const same = (got: Outcome, want: Outcome, what: string) =>
  assert.deepEqual(
    { status: got.status, code: got.code },
    { status: want.status, code: want.code },
    what,
  );

/** Registers the function's authentication tests. */
export function testFunctionAuth(c: FunctionAuthCase): void {
  Deno.test(`${c.name}: accepts an ES256 access token from the project's JWKS, a legacy HS256 token, the secret and publishable keys, and the legacy keys`, async () => {
    const t = await context(c);
    try {
      const { project: p } = t;
      const user = await p.accessToken(t.sql, t.student);
      same(
        await t.call({ bearer: user, apikey: p.publishableKey }),
        c.expect.user,
        "an ES256 access token (its kid fetched from the JWKS endpoint), as supabase-js sends it",
      );
      same(
        await t.call({ bearer: await p.legacyAccessToken(t.sql, t.student) }),
        c.expect.user,
        "an HS256 access token signed with the legacy JWT secret",
      );
      same(await t.call({ apikey: p.secretKey }), c.expect.service, "the secret key, on apikey");
      same(
        await t.call({ apikey: p.secretKey, bearer: p.secretKey }),
        c.expect.service,
        "the secret key on both headers, as supabase-js sends it",
      );
      same(await t.call({ apikey: p.publishableKey }), c.expect.anon, "the publishable key");
      same(
        await t.call({ bearer: p.legacyServiceKey }),
        c.expect.service,
        "the legacy service_role key as bearer",
      );
      same(await t.call({ apikey: p.legacyAnonKey }), c.expect.anon, "the legacy anon key");
    } finally {
      await t.teardown();
    }
  });

  Deno.test(`${c.name}: refuses a missing, expired, foreign, unsigned, forged or unknown credential with 401`, async () => {
    const t = await context(c);
    try {
      const { project: p } = t;
      const claims = await userClaims(t.sql, t.student, p.issuer);
      const stranger = await signingKey("ES256");
      const impostor = await signingKey("ES256", p.key.kid);
      const refusals: [
        string,
        { bearer?: string; apikey?: string; authorization?: string },
        string,
      ][] = [
        ["no credentials at all", {}, "missing_token"],
        ["an expired token", {
          bearer: await signWithKey(p.key, claims, { expiresIn: -60 }),
        }, "invalid_token"],
        ["a token from another issuer", {
          bearer: await signWithKey(p.key, { ...claims, iss: "https://other.supabase.co/auth/v1" }),
        }, "invalid_token"],
        ["a token for another audience", {
          bearer: await signWithKey(p.key, { ...claims, aud: "somewhere-else" }),
        }, "invalid_token"],
        ["alg: none", { bearer: unsecuredToken(claims) }, "invalid_token"],
        ["a token signed by a key the JWKS does not hold (its kid)", {
          bearer: await signWithKey(impostor, claims),
        }, "invalid_token"],
        ["a token with an unknown kid", {
          bearer: await signWithKey(stranger, claims),
        }, "invalid_token"],
        ["an HS256 token signed with another secret", {
          bearer: await signWithSecret("not-the-project-secret-at-all-0123456789", claims),
        }, "invalid_token"],
        ["a service_role token signed with another secret", {
          bearer: await signWithSecret("not-the-project-secret-at-all-0123456789", {
            iss: "supabase",
            role: "service_role",
          }),
        }, "invalid_token"],
        ["a secret key that is not the project's", { apikey: apiKey("secret") }, "invalid_token"],
        ["an API key sent as bearer only", { bearer: p.secretKey }, "invalid_token"],
        ["a bearer that is not a JWT", { bearer: "not-a-jwt" }, "invalid_token"],
        [
          "an Authorization header that is not Bearer",
          { authorization: "Basic YTpi" },
          "invalid_token",
        ],
      ];
      for (const [what, creds, code] of refusals) {
        const got = await t.call(creds);
        same(got, { status: 401, code }, what);
        assert.match(got.authenticate ?? "", /^Bearer\b/, `${what}: WWW-Authenticate`);
      }
    } finally {
      await t.teardown();
    }
  });

  Deno.test(`${c.name}: after a rotation, tokens of the withdrawn key are refused once the JWKS is fetched again`, async () => {
    // JWKS_CACHE_SECONDS=0: every verification fetches the key set, so withdrawal is seen at once.
    const t = await context(c, { JWKS_CACHE_SECONDS: "0" });
    try {
      const { project: p } = t;
      const next = await signingKey("ES256");
      p.jwks.publish(next); // the standby key is published before Auth signs with it
      const old = await p.accessToken(t.sql, t.student);
      const rotated = await p.accessToken(t.sql, t.student, { key: next });
      same(await t.call({ bearer: old }), c.expect.user, "the current key");
      same(await t.call({ bearer: rotated }), c.expect.user, "the standby key, once rotated to");
      const fetched = p.jwks.fetches();
      p.jwks.withdraw(p.key.kid); // the previously used key is revoked
      same(
        await t.call({ bearer: old }),
        { status: 401, code: "invalid_token" },
        "a token of the revoked key",
      );
      assert.ok(p.jwks.fetches() > fetched, "the key set was fetched again");
      same(await t.call({ bearer: rotated }), c.expect.user, "the new key still");
    } finally {
      await t.teardown();
    }
  });
}
