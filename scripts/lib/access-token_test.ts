// Access tokens as Supabase Auth builds them: the claim set, the hook run in the test database as
// supabase_auth_admin, the signature, and `npm run token` end to end.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connect } from "../../supabase/functions/_shared/db.ts";
import { verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import { createLocalJWKSet, jwtVerify } from "jose";
import {
  accessToken,
  accessTokenClaims,
  asAuthServer,
  type AuthUser,
  standardClaims,
} from "./access-token.ts";
import { stackKeys, tokenHeader } from "./keys.ts";
import { bin, root } from "./paths.ts";
import { run } from "./proc.ts";
import { testEnv as env } from "../../supabase/functions/_shared/testing/env.ts";

const user: AuthUser = {
  id: "b0000000-0000-4000-8000-000000000001",
  aud: "authenticated",
  role: "authenticated",
  email: "priya@example.com",
  phone: null,
  app_metadata: { provider: "email", providers: ["email"] },
  user_metadata: { display_name: "Priya Raman" },
  is_anonymous: false,
};

Deno.test("access token: Auth's standard claims, exp one hour after iat", () => {
  const claims = standardClaims(user, {
    issuer: "http://127.0.0.1:54321/auth/v1",
    now: 1_800_000_000,
    sessionId: "00000000-0000-4000-8000-00000000005e",
  });
  assert.deepEqual(claims, {
    iss: "http://127.0.0.1:54321/auth/v1",
    sub: user.id,
    aud: "authenticated",
    exp: 1_800_003_600,
    iat: 1_800_000_000,
    email: "priya@example.com",
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: { display_name: "Priya Raman" },
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: 1_800_000_000 }],
    session_id: "00000000-0000-4000-8000-00000000005e",
    is_anonymous: false,
  });
});

Deno.test("access token: the real hook, run as supabase_auth_admin, adds user_role", async () => {
  await asAuthServer(env("SUPABASE_DB_URL"), async (sql) => {
    for (
      const [email, role] of [
        ["admin@example.com", "admin"],
        ["priya@example.com", "instructor"],
        ["sam@example.com", "student"],
      ]
    ) {
      const claims = await accessTokenClaims(sql, email);
      assert.equal(claims.user_role, role, email);
      assert.equal(claims.email, email);
      assert.equal(claims.role, "authenticated");
    }
    await assert.rejects(accessTokenClaims(sql, "nobody@example.com"), /no user/);
  });
});

Deno.test("access token: signed ES256 with the stack's signing key (kid in the header); verifies against the JWKS", async () => {
  const keys = await stackKeys();
  await asAuthServer(env("SUPABASE_DB_URL"), async (sql) => {
    const { token, claims } = await accessToken(sql, "priya@example.com", keys.signingKey);
    const [header] = token.split(".");
    assert.deepEqual(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/"))), {
      alg: "ES256",
      typ: "JWT",
      kid: keys.signingKey.kid,
    });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks));
    assert.deepEqual(payload, claims);
  });
});

Deno.test("access token: signed HS256 with the project's secret; verifies to the same claims", async () => {
  await asAuthServer(env("SUPABASE_DB_URL"), async (sql) => {
    const { token, claims } = await accessToken(
      sql,
      "priya@example.com",
      env("SUPABASE_JWT_SECRET"),
    );
    const [header] = token.split(".");
    assert.deepEqual(JSON.parse(atob(header)), { alg: "HS256", typ: "JWT" });
    assert.deepEqual(await verifyJwt(token, env("SUPABASE_JWT_SECRET")), claims);
  });
});

Deno.test("npm run token: prints a token for a seeded user; --claims prints its claims", async () => {
  const token = join(root, "scripts", "token.ts");
  const claims = await run([bin("deno"), "run", "-A", token, "priya@example.com", "--claims"], {
    env: { ...Deno.env.toObject(), NO_COLOR: "1" },
  });
  assert.equal(claims.code, 0, claims.stderr);
  const parsed = JSON.parse(claims.stdout);
  assert.equal(parsed.user_role, "instructor");
  assert.equal(parsed.iss, `${env("SUPABASE_URL")}/auth/v1`);
  assert.equal(parsed.exp - parsed.iat, 3600);
  // By default signed ES256 with the stack's signing key, its kid in the header, as Auth signs
  // once a project uses signing keys; --legacy signs HS256 with the JWT secret.
  const keys = await stackKeys();
  const jwt = await run([bin("deno"), "run", "-A", token, "priya@example.com"]);
  assert.equal(jwt.code, 0, jwt.stderr);
  assert.deepEqual(tokenHeader(jwt.stdout.trim()), { alg: "ES256", kid: keys.signingKey.kid });
  const { payload } = await jwtVerify(jwt.stdout.trim(), createLocalJWKSet(keys.jwks));
  assert.equal(payload.user_role, "instructor");
  const legacy = await run([bin("deno"), "run", "-A", token, "priya@example.com", "--legacy"]);
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.deepEqual(tokenHeader(legacy.stdout.trim()), { alg: "HS256", kid: undefined });
  const legacyPayload = await verifyJwt(legacy.stdout.trim(), env("SUPABASE_JWT_SECRET"));
  // The same claims either way (but for the session, times and ids of a new token).
  for (const claim of ["iss", "sub", "aud", "role", "email", "user_role", "app_metadata"]) {
    assert.deepEqual(legacyPayload[claim], payload[claim], claim);
  }
  const missing = await run([bin("deno"), "run", "-A", token, "nobody@example.com"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--create/);
});

Deno.test("npm run token -- --create: a new user, a student, as Auth would sign them up", async () => {
  const email = `token-cli-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  try {
    const token = join(root, "scripts", "token.ts");
    const r = await run([bin("deno"), "run", "-A", token, email, "--create", "--claims"]);
    assert.equal(r.code, 0, r.stderr);
    const claims = JSON.parse(r.stdout);
    assert.equal(claims.email, email);
    assert.equal(claims.user_role, "student");
    const [profile] = await sql`select display_name from public.profiles where id = ${claims.sub}`;
    assert.equal(profile.display_name, email.split("@")[0]);
  } finally {
    await sql`delete from auth.users where email = ${email}`;
    await sql.end();
  }
});
