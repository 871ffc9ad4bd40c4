// The authentication module on its own: which tokens and keys it accepts, and why it refuses the
// rest. No database: tokens are minted here with jose, and the JWKS is served by a local server.
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import {
  authEnv,
  type AuthOptions,
  type Caller,
  constantTimeEqual,
  createAuth,
  LEGACY_KEY_ISSUERS,
} from "./auth.ts";
import { readConfig } from "./config.ts";
import { ConfigError, handle, HttpError } from "./http.ts";
import {
  apiKey,
  jwksJson,
  type JwksServer,
  octKey,
  type SigningKey,
  signingKey,
  signWithKey,
  signWithSecret,
  startJwksServer,
  unsecuredToken,
} from "./testing/auth.ts";
import { withConsoleError } from "./testing/console.ts";

const legacySecret = "a-legacy-jwt-secret-with-at-least-32-characters";

/** An authenticator for a project whose JWKS `server` serves, configured by `env`. */
function authFor(server: JwksServer, env: Record<string, string> = {}, opts: AuthOptions = {}) {
  return createAuth(authEnv.parse({ SUPABASE_URL: server.url, ...env }), {
    failureBackoffMs: 0,
    ...opts,
  });
}

/** Claims as Supabase Auth puts them in an access token. */
const userClaims = (server: JwksServer, extra: Record<string, unknown> = {}) => ({
  iss: server.issuer,
  sub: "c0000000-0000-4000-8000-000000000001",
  aud: "authenticated",
  role: "authenticated",
  email: "sam@example.com",
  session_id: crypto.randomUUID(),
  ...extra,
});

const request = (headers: Record<string, string>) =>
  new Request("http://localhost/fn", { method: "POST", headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The HttpError authenticate() throws for these headers. */
async function refused(
  auth: ReturnType<typeof createAuth>,
  headers: Record<string, string>,
): Promise<HttpError> {
  try {
    const caller = await auth.authenticate(request(headers));
    throw new assert.AssertionError({ message: `accepted as ${JSON.stringify(caller)}` });
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return e;
  }
}

async function withProject(
  fn: (p: { server: JwksServer; key: SigningKey }) => Promise<void>,
  ...more: SigningKey[]
) {
  const key = await signingKey("ES256");
  const server = startJwksServer(key, ...more);
  try {
    await fn({ server, key });
  } finally {
    await server.close();
  }
}

Deno.test("auth: an ES256 access token verified with the JWKS endpoint's key; the claims go through untouched", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server);
    const claims = userClaims(server, { user_role: "student" });
    const token = await signWithKey(key, claims);
    const caller = await auth.authenticate(request(bearer(token)));
    assert.equal(caller.kind, "user");
    assert.equal(caller.credential, "access_token");
    assert.deepEqual({ ...caller.claims, exp: undefined }, { ...claims, exp: undefined });
    assert.equal(server.fetches(), 1);
    await auth.authenticate(request(bearer(token)));
    assert.equal(server.fetches(), 1, "the key set is cached");
  });
});

Deno.test("auth: RS256 is accepted too; the JWKS is fetched once per isolate for the same settings", async () => {
  const rsa = await signingKey("RS256");
  await withProject(async ({ server }) => {
    const token = await signWithKey(rsa, userClaims(server));
    assert.equal((await authFor(server).authenticate(request(bearer(token)))).kind, "user");
    assert.equal((await authFor(server).authenticate(request(bearer(token)))).kind, "user");
    assert.equal(server.fetches(), 1, "a second authenticator shares the first one's key set");
  }, rsa);
});

Deno.test("auth: SUPABASE_JWKS is used first; a kid it does not hold is looked up at the endpoint", async () => {
  const inline = await signingKey("ES256");
  await withProject(async ({ server, key }) => {
    const auth = authFor(server, { SUPABASE_JWKS: jwksJson(inline.jwk, octKey(legacySecret)) });
    await auth.authenticate(request(bearer(await signWithKey(inline, userClaims(server)))));
    assert.equal(server.fetches(), 0, "the platform's key set answered");
    await auth.authenticate(request(bearer(await signWithKey(key, userClaims(server)))));
    assert.equal(server.fetches(), 1, "a kid SUPABASE_JWKS lacks: the endpoint");
    // A bare array of keys is a key set too.
    const bare = authFor(server, { SUPABASE_JWKS: JSON.stringify([inline.jwk]) });
    await bare.authenticate(request(bearer(await signWithKey(inline, userClaims(server)))));
  });
});

Deno.test("auth: HS256 only with a legacy secret: an oct key in SUPABASE_JWKS or SUPABASE_JWT_SECRET", async () => {
  await withProject(async ({ server }) => {
    const token = await signWithSecret(legacySecret, userClaims(server));
    const none = await refused(authFor(server), bearer(token));
    assert.equal(none.code, "invalid_token", "no legacy secret configured: HS256 is refused");
    assert.match(none.message, /HS256/);
    const envs: Record<string, string>[] = [
      { SUPABASE_JWKS: jwksJson(octKey(legacySecret)) },
      { SUPABASE_JWKS: jwksJson(octKey(legacySecret, "legacy-kid")) },
      { SUPABASE_JWT_SECRET: legacySecret },
    ];
    for (const env of envs) {
      const caller = await authFor(server, env).authenticate(request(bearer(token)));
      assert.equal(caller.kind, "user", JSON.stringify(env));
    }
    const withKid = await signWithSecret(legacySecret, userClaims(server), { kid: "legacy-kid" });
    const auth = authFor(server, { SUPABASE_JWKS: jwksJson(octKey(legacySecret, "legacy-kid")) });
    assert.equal((await auth.authenticate(request(bearer(withKid)))).kind, "user");
    const forged = await signWithSecret(
      "another-secret-that-is-also-32-chars!",
      userClaims(server),
    );
    assert.equal((await refused(auth, bearer(forged))).code, "invalid_token");
    assert.equal(server.fetches(), 0, "shared secrets are never fetched");
  });
});

Deno.test("auth: alg none and every algorithm but ES256, RS256 and HS256 are refused", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server, { SUPABASE_JWT_SECRET: legacySecret });
    const claims = userClaims(server);
    const none = await refused(auth, bearer(unsecuredToken(claims)));
    assert.equal(none.status, 401);
    assert.equal(none.code, "invalid_token");
    assert.equal(none.headers?.["www-authenticate"], 'Bearer error="invalid_token"');
    // The same signature bytes relabelled: a header naming another algorithm.
    const real = await signWithKey(key, claims);
    const [, payload, signature] = real.split(".");
    for (const alg of ["HS512", "PS256", "ES384", "EdDSA", "RS512"]) {
      const header = btoa(JSON.stringify({ alg, kid: key.kid, typ: "JWT" })).replace(/=+$/, "");
      const e = await refused(auth, bearer(`${header}.${payload}.${signature}`));
      assert.equal(e.code, "invalid_token", alg);
      assert.match(e.message, /algorithm/, alg);
    }
    assert.equal(server.fetches(), 0, "refused before any key is looked up");
  });
});

Deno.test("auth: expired, not yet valid, or without exp: 401 invalid_token", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server);
    const expired = await refused(
      auth,
      bearer(await signWithKey(key, userClaims(server), { expiresIn: -1 })),
    );
    assert.equal(expired.code, "invalid_token");
    assert.match(expired.message, /expired/);
    const early = await refused(
      auth,
      bearer(await signWithKey(key, userClaims(server, { nbf: Date.now() / 1000 + 3600 }))),
    );
    assert.equal(early.code, "invalid_token");
    const noExp = await new SignJWT(userClaims(server))
      .setProtectedHeader({ alg: "ES256", kid: key.kid })
      .sign(key.privateKey);
    assert.equal((await refused(auth, bearer(noExp))).code, "invalid_token");
  });
});

Deno.test("auth: iss must be the project's Auth (or AUTH_JWT_ISSUER), aud authenticated, sub set", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server);
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["another project", { iss: "https://other.supabase.co/auth/v1" }, /iss/],
      ["no issuer", { iss: undefined }, /iss/],
      ["another audience", { aud: "other" }, /aud/],
      ["no audience", { aud: undefined }, /aud/],
      ["no user", { sub: undefined }, /sub/],
      ["a role Postgres must never take", { role: "postgres" }, /role/],
      ["supabase_admin", { role: "supabase_admin" }, /role/],
      ["no role", { role: undefined }, /role/],
      // (The gateway's tokens for API keys carry iss "supabase" and no sub: see below.)
      ["service_role from Auth's issuer", { role: "service_role", aud: undefined }, /iss/],
      ["anon from Auth's issuer", { role: "anon", aud: undefined }, /iss/],
    ];
    for (const [what, extra, message] of cases) {
      const e = await refused(auth, bearer(await signWithKey(key, userClaims(server, extra))));
      assert.equal(e.code, "invalid_token", what);
      assert.match(e.message, message, what);
    }
    const many = await signWithKey(key, userClaims(server, { aud: ["authenticated", "other"] }));
    assert.equal((await auth.authenticate(request(bearer(many)))).kind, "user", "aud as a list");

    const custom = authFor(server, {
      AUTH_JWT_ISSUER: "http://127.0.0.1:54321/auth/v1, https://auth.example.com/auth/v1",
    });
    const docker = await signWithKey(
      key,
      userClaims(server, { iss: "http://127.0.0.1:54321/auth/v1" }),
    );
    assert.equal((await custom.authenticate(request(bearer(docker)))).kind, "user");
    const own = await signWithKey(key, userClaims(server));
    assert.equal(
      (await refused(custom, bearer(own))).code,
      "invalid_token",
      "AUTH_JWT_ISSUER replaces the default",
    );
  });
});

Deno.test("auth: a key that is not in the JWKS, and an unknown kid, are refused; the JWKS is fetched again at most once per cooldown", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server, {}, { cooldownSeconds: 30 });
    await auth.authenticate(request(bearer(await signWithKey(key, userClaims(server)))));
    assert.equal(server.fetches(), 1);
    const impostor = await signingKey("ES256", key.kid);
    const forged = await refused(
      auth,
      bearer(await signWithKey(impostor, userClaims(server))),
    );
    assert.equal(forged.code, "invalid_token");
    assert.match(forged.message, /signature/);
    const stranger = await signingKey("ES256");
    const unknown = await refused(
      auth,
      bearer(await signWithKey(stranger, userClaims(server))),
    );
    assert.equal(unknown.code, "invalid_token");
    assert.match(unknown.message, /does not publish/);
    await refused(auth, bearer(await signWithKey(stranger, userClaims(server))));
    assert.equal(server.fetches(), 1, "within the cooldown an unknown kid fetches nothing");
    const noKid = await refused(
      auth,
      bearer(await signWithKey(key, userClaims(server), { kid: null })),
    );
    assert.match(noKid.message, /kid/, "Auth always names the key; a token without kid is refused");
  });
});

Deno.test("auth: rotation: a standby key is accepted once published, the old key refused once withdrawn and the JWKS fetched again", async () => {
  await withProject(async ({ server, key }) => {
    const next = await signingKey("ES256");
    const cached = authFor(server, {}, { cooldownSeconds: 0 });
    const fresh = authFor(server, { JWKS_CACHE_SECONDS: "0" });
    const old = await signWithKey(key, userClaims(server));
    assert.equal((await cached.authenticate(request(bearer(old)))).kind, "user");

    server.publish(next); // Auth publishes the standby key before signing with it
    const rotated = await signWithKey(next, userClaims(server));
    assert.equal(
      (await cached.authenticate(request(bearer(rotated)))).kind,
      "user",
      "an unknown kid fetches the key set again",
    );
    server.withdraw(key.kid); // the previously used key is revoked
    assert.equal(
      (await cached.authenticate(request(bearer(old)))).kind,
      "user",
      "within JWKS_CACHE_SECONDS (600) the cached set still trusts it: the documented lag",
    );
    const e = await refused(fresh, bearer(old));
    assert.equal(e.code, "invalid_token", "once the key set is fetched again, it is refused");
    assert.equal((await fresh.authenticate(request(bearer(rotated)))).kind, "user");
  });
});

Deno.test("auth: the JWKS endpoint down is a 503 auth_unavailable, never a 401 or a 500; it recovers", async () => {
  await withProject(async ({ server, key }) => {
    const errors: string[] = [];
    await withConsoleError((line: string) => errors.push(line), async () => {
      server.fail(500);
      const auth = authFor(server);
      const token = await signWithKey(key, userClaims(server));
      const e = await refused(auth, bearer(token));
      assert.equal(e.status, 503);
      assert.equal(e.code, "auth_unavailable");
      assert.equal(e.headers?.["retry-after"], "5");
      assert.match(errors.join("\n"), /jwks\.json could not be fetched: it answered HTTP 500/);
      server.recover();
      assert.equal((await auth.authenticate(request(bearer(token)))).kind, "user");

      const slow = startJwksServer(key);
      await slow.close(); // nothing listens there any more
      const unreachable = authFor(slow, {}, { failureBackoffMs: 60_000 });
      assert.equal((await refused(unreachable, bearer(token))).code, "auth_unavailable");
      assert.equal(
        (await refused(unreachable, bearer(token))).code,
        "auth_unavailable",
        "within the backoff: without trying",
      );
      assert.match(errors.at(-1)!, /moments ago/);
    });
  });
});

Deno.test("auth: a secret key on apikey is a service caller, a publishable key an anonymous one; named keys too", async () => {
  await withProject(async ({ server }) => {
    const secret = apiKey("secret");
    const cron = apiKey("secret");
    const publishable = apiKey("publishable");
    const web = apiKey("publishable");
    const auth = authFor(server, {
      SUPABASE_SECRET_KEY: secret,
      SUPABASE_SECRET_KEYS: JSON.stringify({ cron }),
      SUPABASE_PUBLISHABLE_KEY: publishable,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ web }),
    });
    const of = async (headers: Record<string, string>) => {
      const c: Caller = await auth.authenticate(request(headers));
      return [c.kind, c.credential, c.keyName, c.claims];
    };
    assert.deepEqual(await of({ apikey: secret }), [
      "service",
      "secret_key",
      "default",
      { role: "service_role" },
    ]);
    assert.deepEqual(await of({ apikey: cron }), [
      "service",
      "secret_key",
      "cron",
      { role: "service_role" },
    ]);
    assert.deepEqual(await of({ apikey: publishable }), [
      "anon",
      "publishable_key",
      "default",
      { role: "anon" },
    ]);
    assert.deepEqual((await of({ apikey: web })).slice(0, 3), ["anon", "publishable_key", "web"]);
    assert.deepEqual(
      (await of({ apikey: secret, authorization: `Bearer ${secret}` })).slice(0, 2),
      ["service", "secret_key"],
      "supabase-js sends the key on both headers",
    );
    assert.equal(
      (await auth.requireService(request({ apikey: cron }))).kind,
      "service",
    );
    const anon = await auth.requireService(request({ apikey: publishable })).catch((e) => e);
    assert.ok(anon instanceof HttpError);
    assert.deepEqual([anon.status, anon.code], [403, "service_only"], "never a service caller");

    for (
      const [what, headers] of [
        ["an unknown secret key", { apikey: apiKey("secret") }],
        ["a key differing in its last character", {
          apikey: secret.slice(0, -1) + (secret.endsWith("x") ? "y" : "x"),
        }],
        ["a key's prefix", { apikey: secret.slice(0, 20) }],
        ["the secret key as bearer alone", bearer(secret)],
        ["the publishable key as bearer alone", bearer(publishable)],
        ["a bearer sb_ key that differs from apikey", {
          apikey: publishable,
          authorization: `Bearer ${secret}`,
        }],
      ] as [string, Record<string, string>][]
    ) {
      assert.equal((await refused(auth, headers)).code, "invalid_token", what);
    }
  });
});

Deno.test("auth: API keys are compared in constant time, against every configured key", async () => {
  // constantTimeEqual hashes both sides (SHA-256) and compares the digests with timingSafeEqual,
  // so neither where two keys differ nor their lengths change the work done.
  assert.equal(constantTimeEqual("sb_secret_abc", "sb_secret_abc"), true);
  assert.equal(constantTimeEqual("sb_secret_abc", "sb_secret_abd"), false);
  assert.equal(constantTimeEqual("sb_secret_abc", "sb_secret_ab"), false);
  assert.equal(constantTimeEqual("", "sb_secret_abc"), false);
  assert.equal(constantTimeEqual("é", "e\u0301"), false);

  await withProject(async ({ server }) => {
    const compared: [string, string][] = [];
    const keys = [apiKey("secret"), apiKey("secret"), apiKey("publishable")];
    const auth = authFor(server, {
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys[0], cron: keys[1] }),
      SUPABASE_PUBLISHABLE_KEY: keys[2],
    }, {
      equal: (a, b) => {
        compared.push([a, b]);
        return constantTimeEqual(a, b);
      },
    });
    await auth.authenticate(request({ apikey: keys[0] }));
    assert.deepEqual(
      compared.map(([, b]) => b).sort(),
      [...keys].sort(),
      "the first key matched, and every other key was compared all the same",
    );
    compared.length = 0;
    await refused(auth, { apikey: apiKey("secret") });
    assert.equal(compared.length, 3, "an unknown key: every key compared");
  });
});

Deno.test("auth: the legacy anon and service_role keys, verified with the legacy secret", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server, { SUPABASE_JWKS: jwksJson(octKey(legacySecret)) });
    const legacy = (claims: Record<string, unknown>) =>
      signWithSecret(legacySecret, claims, { expiresIn: 10 * 365 * 86400 });
    for (const iss of LEGACY_KEY_ISSUERS) {
      const service = await legacy({ iss, role: "service_role" });
      const anon = await legacy({ iss, role: "anon" });
      const s = await auth.requireService(request(bearer(service)));
      assert.deepEqual([s.kind, s.credential], ["service", "legacy_api_key"], iss);
      assert.equal((await auth.authenticate(request({ apikey: service }))).kind, "service");
      assert.equal((await auth.authenticate(request({ apikey: anon }))).kind, "anon");
      assert.equal((await auth.authenticate(request(bearer(anon)))).kind, "anon");
      // Kong copies a legacy apikey into Authorization, raw (no "Bearer").
      assert.equal(
        (await auth.authenticate(request({ apikey: anon, authorization: anon }))).kind,
        "anon",
      );
    }
    const cases: [string, Promise<string>, Record<string, string> | null][] = [
      ["another issuer", legacy({ iss: "someone-else", role: "service_role" }), null],
      ["an audience", legacy({ iss: "supabase", role: "service_role", aud: "x" }), null],
      [
        "another secret",
        signWithSecret("not-this-projects-secret-but-32-chars!", {
          iss: "supabase",
          role: "service_role",
        }),
        null,
      ],
      [
        "expired",
        signWithSecret(legacySecret, { iss: "supabase", role: "service_role" }, {
          expiresIn: -1,
        }),
        null,
      ],
      [
        "a user's token on apikey",
        signWithKey(key, userClaims(server)),
        { apikey: "" },
      ],
    ];
    for (const [what, token, asApikey] of cases) {
      const t = await token;
      const headers = asApikey ? { apikey: t } : bearer(t);
      assert.equal((await refused(auth, headers)).code, "invalid_token", what);
    }
  });
});

Deno.test("auth: the gateway's token for an sb_ key (its role, signed with the project's key) is an API-key caller", async () => {
  await withProject(async ({ server, key }) => {
    const auth = authFor(server);
    // What Supabase's gateway hands a function for a publishable or secret key: a short-lived
    // token of the key's role, signed with the project's signing key, iss "supabase", no aud.
    const minted = (claims: Record<string, unknown>) =>
      signWithKey(key, claims, { expiresIn: 300 });
    const anon = await auth.authenticate(
      request(bearer(await minted({ iss: "supabase", role: "anon" }))),
    );
    assert.deepEqual([anon.kind, anon.credential, anon.claims.role], [
      "anon",
      "gateway_api_key",
      "anon",
    ]);
    const service = await auth.requireService(
      request(bearer(await minted({ iss: "supabase", role: "service_role" }))),
    );
    assert.equal(service.kind, "service");
    await refused(
      auth,
      bearer(await minted({ iss: "supabase", role: "anon", aud: "authenticated" })),
    );
    await refused(auth, bearer(await minted({ iss: "someone-else", role: "service_role" })));
    await refused(
      auth,
      bearer(await minted({ iss: "supabase", role: "service_role", sub: crypto.randomUUID() })),
    );
    const stranger = await signingKey("ES256", key.kid);
    await refused(
      auth,
      bearer(
        await signWithKey(stranger, { iss: "supabase", role: "service_role" }, { expiresIn: 300 }),
      ),
    );
  });
});

Deno.test("auth: nothing sent is 401 missing_token; a malformed Authorization is invalid_token", async () => {
  await withProject(async ({ server }) => {
    const auth = authFor(server);
    const missing = await refused(auth, {});
    assert.deepEqual([missing.status, missing.code], [401, "missing_token"]);
    assert.equal(missing.headers?.["www-authenticate"], "Bearer");
    assert.equal((await refused(auth, { authorization: "" })).code, "missing_token");
    for (
      const authorization of [
        "Basic YTpi",
        "Bearer",
        "Bearer a b",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Token abc",
      ]
    ) {
      assert.equal((await refused(auth, { authorization })).code, "invalid_token", authorization);
    }
  });
});

Deno.test("auth: refusals answer 401 {error: {code, message}} with WWW-Authenticate through http.ts", async () => {
  await withProject(async ({ server }) => {
    const auth = authFor(server);
    const fn = handle("POST", async (req) => {
      await auth.authenticate(req);
      return new Response("ran");
    });
    const missing = await fn(request({}));
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get("www-authenticate"), "Bearer");
    assert.equal(missing.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(await missing.json(), {
      error: { code: "missing_token", message: "Sign in, or send an API key." },
    });
    const bad = await fn(request(bearer(unsecuredToken({ role: "authenticated" }))));
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    assert.equal((await bad.json()).error.code, "invalid_token");
  });
});

Deno.test("auth: the environment is checked when a function starts, naming the variable", () => {
  const url = "https://abc.supabase.co";
  const problem = (env: Record<string, string>) => {
    try {
      readConfig(authEnv, { SUPABASE_URL: url, ...env });
      return "";
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
  };
  assert.equal(problem({}), "", "only SUPABASE_URL is required");
  assert.match(problem({ SUPABASE_URL: "" }), /SUPABASE_URL is not set/);
  assert.match(problem({ SUPABASE_JWKS: "{" }), /SUPABASE_JWKS is invalid: is not JSON/);
  assert.match(problem({ SUPABASE_JWKS: '{"nope": 1}' }), /SUPABASE_JWKS is invalid/);
  assert.match(
    problem({ SUPABASE_JWKS: jwksJson({ kty: "EC", crv: "P-256", x: "a", y: "b", d: "c" }) }),
    /SUPABASE_JWKS is invalid: key 0 is a private key/,
  );
  assert.match(
    problem({ SUPABASE_JWKS: jwksJson(octKey(legacySecret, "a"), octKey(legacySecret, "a")) }),
    /two keys share a kid/,
  );
  assert.match(problem({ SUPABASE_SECRET_KEY: "sk_live_x" }), /must start with sb_secret_/);
  assert.match(
    problem({ SUPABASE_SECRET_KEYS: JSON.stringify({ default: "sb_publishable_x" }) }),
    /SUPABASE_SECRET_KEYS is invalid/,
  );
  assert.match(problem({ SUPABASE_PUBLISHABLE_KEY: "anon" }), /must start with sb_publishable_/);
  assert.match(problem({ SUPABASE_JWT_SECRET: "short" }), /at least 32 characters/);
  assert.match(problem({ AUTH_JWT_ISSUER: "not a url" }), /AUTH_JWT_ISSUER is invalid/);
  assert.match(problem({ JWKS_CACHE_SECONDS: "-1" }), /JWKS_CACHE_SECONDS is invalid/);
});
