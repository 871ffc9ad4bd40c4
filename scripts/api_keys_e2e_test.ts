// Both worlds of keys through the running test stack: publishable and secret API keys with ES256
// user tokens (the current world, the default), and the legacy anon and service_role JWT keys with
// HS256 user tokens. HTTP -> gateway -> PostgREST 12.0.2 / functions -> PostgreSQL.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { connect } from "../supabase/functions/_shared/db.ts";
import { accessToken, asAuthServer } from "./lib/access-token.ts";
import { INVALID_API_KEY, NO_API_KEY } from "./lib/gateway.ts";
import { signWithKey, stackKeys, tokenHeader } from "./lib/keys.ts";
import { reloadSchema } from "./lib/postgrest.ts";
import { generateSigningKey } from "./lib/signing-keys.ts";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";

const keys = await stackKeys();
const supabaseUrl = () => env("SUPABASE_URL");
const restUrl = () => `${supabaseUrl()}/rest/v1`;
const functionsUrl = () => `${supabaseUrl()}/functions/v1`;
const noSession = { auth: { persistSession: false, autoRefreshToken: false } };

/** An access token as Auth issues it: ES256 with the stack's signing key, or legacy HS256. */
const tokenFor = (email: string, kind: "es256" | "hs256" = "es256") =>
  asAuthServer(
    env("SUPABASE_DB_URL"),
    (sql) =>
      accessToken(sql, email, kind === "es256" ? keys.signingKey : keys.jwtSecret, {
        issuer: `${supabaseUrl()}/auth/v1`,
      }),
  );

const get = (path: string, headers: Record<string, string>) =>
  fetch(`${restUrl()}${path}`, { headers });

Deno.test("keys: GET /rest/v1/courses is 200 with the publishable key and with the legacy anon key", async () => {
  for (const apikey of [keys.publishable, keys.anon]) {
    const res = await get("/courses?select=slug", { apikey });
    assert.equal(res.status, 200, apikey.slice(0, 16));
    const body = await res.json();
    assert.ok(Array.isArray(body) && body.length > 0);
  }
  // supabase-js sends the key as apikey and as the bearer; both kinds work.
  for (const key of [keys.publishable, keys.anon]) {
    const { data, error, status } = await createClient(supabaseUrl(), key, noSession)
      .from("courses").select("slug");
    assert.equal(error, null);
    assert.equal(status, 200);
    assert.ok(data && data.length > 0);
  }
});

Deno.test("keys: 401 without a key, and with a made-up sb_ key", async () => {
  const none = await get("/courses?select=slug", {});
  assert.equal(none.status, 401);
  assert.deepEqual(await none.json(), NO_API_KEY);
  for (
    const apikey of [
      "sb_publishable_madeUpMadeUpMadeUpMadeU_12345678",
      "sb_secret_madeUpMadeUpMadeUpMadeU_12345678",
      keys.publishable.slice(0, -1),
    ]
  ) {
    const res = await get("/courses?select=slug", { apikey, authorization: `Bearer ${apikey}` });
    assert.equal(res.status, 401, apikey);
    assert.deepEqual(await res.json(), INVALID_API_KEY);
  }
});

Deno.test("keys: the secret key reaches service-only data (entitlements rows); the publishable key does not", async () => {
  const service = await get("/entitlements?select=user_id,course_id", { apikey: keys.secret });
  assert.equal(service.status, 200);
  const rows = await service.json();
  assert.ok(rows.length > 0, "the seed has entitlements");
  const anon = await get("/entitlements?select=user_id", { apikey: keys.publishable });
  assert.equal(anon.status, 401);
  assert.equal((await anon.json()).code, "42501");
  // supabase-js with the secret key (apikey and bearer both sb_secret_...).
  const { data, error } = await createClient(supabaseUrl(), keys.secret, noSession)
    .from("entitlements").select("user_id");
  assert.equal(error, null);
  assert.equal(data?.length, rows.length);
});

Deno.test("keys: an sb_ key never reaches PostgREST as a bearer: it gets a short-lived ES256 JWT for the key's role", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  const fn = `keys_probe_${crypto.randomUUID().slice(0, 8)}`;
  try {
    // What PostgREST received and ran as, seen from SQL.
    await sql.unsafe(`
      create function public.${fn}() returns json language sql as $$
        select json_build_object(
          'role', current_user,
          'authorization', current_setting('request.headers', true)::json ->> 'authorization',
          'apikey', current_setting('request.headers', true)::json ->> 'apikey',
          'claims', current_setting('request.jwt.claims', true)::json)
      $$;
      grant execute on function public.${fn}() to anon, authenticated, service_role;`);
    await reloadSchema(env("SUPABASE_DB_URL"));
    const probe = async (headers: Record<string, string>) => {
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${restUrl()}/rpc/${fn}`, { method: "POST", headers });
        if (res.status === 200) return await res.json();
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the probe never answered 200");
    };
    const jwks = createLocalJWKSet(keys.jwks);
    for (
      const [apikey, role] of [[keys.secret, "service_role"], [keys.publishable, "anon"]] as const
    ) {
      // apikey alone, and as supabase-js sends it (the key as the bearer too).
      const forms: Record<string, string>[] = [{ apikey }, {
        apikey,
        authorization: `Bearer ${apikey}`,
      }];
      for (const headers of forms) {
        const seen = await probe(headers);
        assert.equal(seen.role, role);
        assert.doesNotMatch(seen.authorization, /sb_/, "the key is never the bearer");
        const jwt = seen.authorization.replace(/^Bearer /, "");
        assert.deepEqual(tokenHeader(jwt), { alg: "ES256", kid: keys.signingKey.kid });
        const { payload } = await jwtVerify(jwt, jwks); // signed with the stack's key
        assert.equal(payload.role, role);
        assert.ok(payload.exp! - payload.iat! <= 600, "short-lived");
        assert.equal(seen.claims.role, role);
      }
    }
    // The legacy keys are passed on as the bearer, as before.
    const legacy = await probe({ apikey: keys.anon });
    assert.equal(legacy.role, "anon");
    assert.equal(legacy.authorization, `Bearer ${keys.anon}`);
    // A user's token is passed through untouched, whatever the key.
    const { token, claims } = await tokenFor("sam@example.com");
    const user = await probe({ apikey: keys.publishable, authorization: `Bearer ${token}` });
    assert.equal(user.role, "authenticated");
    assert.equal(user.authorization, `Bearer ${token}`);
    assert.equal(user.claims.sub, claims.sub);
  } finally {
    await sql.unsafe(`drop function if exists public.${fn}(); notify pgrst, 'reload schema';`);
    await sql.end();
  }
});

Deno.test("keys: an ES256 user token from the token module works through /rest/v1 (the user's own rows), and a legacy HS256 one too", async () => {
  for (const kind of ["es256", "hs256"] as const) {
    const { token, claims } = await tokenFor("sam@example.com", kind);
    assert.equal(tokenHeader(token).alg, kind === "es256" ? "ES256" : "HS256");
    for (const apikey of [keys.publishable, keys.anon]) {
      const { data, error } = await createClient(supabaseUrl(), apikey, {
        ...noSession,
        global: { headers: { Authorization: `Bearer ${token}` } },
      }).from("entitlements").select("user_id, course_id");
      assert.equal(error, null, `${kind} with ${apikey.slice(0, 16)}`);
      assert.ok(data && data.length > 0, "Sam owns courses");
      assert.ok(data.every((r) => r.user_id === claims.sub), "only his own rows");
    }
  }
});

Deno.test("keys: a token signed by a key not in the JWKS is refused (401)", async () => {
  const { claims } = await tokenFor("sam@example.com");
  const stranger = await generateSigningKey();
  for (
    const key of [stranger, { ...stranger, kid: keys.signingKey.kid }] // its own kid, and ours
  ) {
    const forged = await signWithKey(claims, key);
    const res = await get("/entitlements?select=user_id", {
      apikey: keys.publishable,
      authorization: `Bearer ${forged}`,
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).code, "PGRST301");
    // (The functions verify tokens themselves, verify_jwt being off: each function's tests run
    // the shared authentication suite, forged keys included, through its real handler.)
  }
});

Deno.test("keys: the JWKS endpoint serves the public keys only, with no API key needed", async () => {
  const res = await fetch(`${supabaseUrl()}/auth/v1/.well-known/jwks.json`, {
    headers: { origin: "http://localhost:3000" },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const body: { keys: Record<string, unknown>[] } = await res.json();
  assert.equal(JSON.stringify(body), JSON.stringify(keys.jwks));
  assert.equal(body.keys.length, keys.signingKeys.length);
  for (const k of body.keys) {
    assert.equal(k.kty, "EC");
    assert.deepEqual(k.key_ops, ["verify"]);
    for (const secret of ["d", "k", "p", "q", "dp", "dq", "qi"]) assert.equal(k[secret], undefined);
  }
  assert.ok(body.keys.some((k) => k.kid === keys.signingKey.kid));
});

Deno.test("keys: the gateway hands functions the publishable and secret keys, ES256 and HS256 tokens", async () => {
  const call = (headers: Record<string, string>) =>
    fetch(`${functionsUrl()}/health`, { headers }).then(async (r) => {
      await r.body?.cancel();
      return r.status;
    });
  // An sb_ key alone, or as supabase-js's functions.invoke sends it (apikey and bearer): the
  // gateway hands the function a JWT for the key's role (health answers whoever calls).
  for (const key of [keys.publishable, keys.secret]) {
    assert.equal(await call({ apikey: key }), 200, key.slice(0, 16));
    assert.equal(await call({ apikey: key, authorization: `Bearer ${key}` }), 200);
  }
  // The legacy keys are JWTs themselves, sent as the bearer.
  for (const key of [keys.anon, keys.serviceRole]) {
    assert.equal(await call({ apikey: key, authorization: `Bearer ${key}` }), 200);
    assert.equal(await call({ authorization: `Bearer ${key}` }), 200);
  }
  const { data, error } = await createClient(supabaseUrl(), keys.publishable, noSession)
    .functions.invoke("health", { method: "GET" });
  assert.equal(error, null);
  assert.equal(data.database.reachable, true);
  for (const kind of ["es256", "hs256"] as const) {
    const { token } = await tokenFor("sam@example.com", kind);
    assert.equal(await call({ apikey: keys.publishable, authorization: `Bearer ${token}` }), 200);
  }
});

Deno.test("keys: a Realtime policy reads the claims of a real ES256 token as it does HS256 ones", async () => {
  const { token } = await tokenFor("noor@example.com");
  assert.equal(tokenHeader(token).alg, "ES256");
  // What Realtime does with a token: verify it against the project's keys, then run the policy as
  // `authenticated` with its claims.
  const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks));
  assert.deepEqual(payload, decodeJwt(token));
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  try {
    const insert = (topic: string) =>
      sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('request.jwt.claims', ${JSON.stringify(payload)}, true),
                        set_config('realtime.topic', ${topic}, true)`;
        await tx`insert into realtime.messages (topic, extension, event)
                 values (realtime.topic(), 'presence', 'sync')`;
        throw new Error("rollback");
      }).catch((e) => e);
    assert.equal((await insert(`user:${payload.sub}`)).message, "rollback", "their own topic");
    const other = await insert("user:c0000000-0000-4000-8000-000000000001");
    assert.equal(other.code, "42501", "not someone else's");
  } finally {
    await sql.end();
  }
});
