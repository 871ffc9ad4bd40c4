// The local gateway answers exactly as the CLI's edge-runtime main service behind Kong.
import assert from "node:assert/strict";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";
import { type ApiKeys, gateway, JWKS_PATH, MINTED_TOKEN_SECONDS } from "./gateway.ts";
import { apiKeys, signWithKey, tokenHeader } from "./keys.ts";
import { generateSigningKey, publicJwks } from "./signing-keys.ts";
import { quietly } from "../../supabase/functions/_shared/testing/console.ts";

const secret = "test-secret-with-at-least-32-characters!!";
const signingKey = await generateSigningKey();
const legacy = await apiKeys(secret);
const keys: ApiKeys = {
  publishable: ["sb_publishable_test"],
  secret: ["sb_secret_test"],
  legacy: [legacy.anon, legacy.serviceRole],
};
/** Each sb_ key above, and the role the gateway mints a JWT of for it. */
const sbKeyRoles = [["sb_secret_test", "service_role"], ["sb_publishable_test", "anon"]] as const;
const jwks = createLocalJWKSet(publicJwks([signingKey]));
/** The role of a minted bearer, after checking it is an ES256 JWT signed with the stack's key. */
async function mintedRole(authorization: string | null): Promise<string> {
  assert.ok(authorization?.startsWith("Bearer "), String(authorization));
  const jwt = authorization!.slice("Bearer ".length);
  assert.deepEqual(tokenHeader(jwt), { alg: "ES256", kid: signingKey.kid });
  const { payload } = await jwtVerify(jwt, jwks);
  assert.equal(payload.iss, "supabase");
  assert.equal(payload.exp! - payload.iat!, MINTED_TOKEN_SECONDS);
  return payload.role as string;
}
const seen: Request[] = [];
const echo = {
  default: {
    fetch: (req: Request) => {
      seen.push(req);
      return new Response(
        JSON.stringify({ path: new URL(req.url).pathname, search: new URL(req.url).search }),
        {
          headers: { "content-type": "application/json" },
        },
      );
    },
  },
};
const modules: Record<string, () => Promise<unknown>> = {
  echo: () => Promise.resolve(echo),
  open: () => Promise.resolve(echo),
  broken: () => Promise.reject(new Error("SyntaxError in module")),
  crashing: () => Promise.resolve({ default: { fetch: () => Promise.reject(new Error("boom")) } }),
};
const serve = gateway({
  jwtSecret: secret,
  signingKeys: [signingKey],
  apiKeys: keys,
  functions: [
    { name: "echo", entrypoint: "echo.ts", verifyJwt: true },
    { name: "open", entrypoint: "open.ts", verifyJwt: false },
    { name: "broken", entrypoint: "broken.ts", verifyJwt: false },
    { name: "crashing", entrypoint: "crashing.ts", verifyJwt: false },
  ],
  load: (spec) =>
    modules[spec.name]() as ReturnType<NonNullable<Parameters<typeof gateway>[0]["load"]>>,
});
const call = (path: string, init: RequestInit = {}) =>
  serve(new Request(`http://127.0.0.1:54321${path}`, init));

Deno.test("gateway: a missing Authorization header is 401, as the CLI words it", async () => {
  const res = await call("/functions/v1/echo");
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { msg: "Error: Missing authorization header" });
});

Deno.test("gateway: a non-Bearer header is 401", async () => {
  const res = await call("/functions/v1/echo", { headers: { authorization: "Basic abc" } });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { msg: "Error: Auth header is not 'Bearer {token}'" });
});

Deno.test("gateway: a malformed token is 401", async () => {
  const res = await call("/functions/v1/echo", { headers: { authorization: "Bearer not-a-jwt" } });
  assert.equal(res.status, 401);
  assert.match((await res.json()).msg, /Invalid Token or Protected Header formatting/);
});

Deno.test("gateway: a token signed with another secret, or expired, is 401 Invalid JWT", async () => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  const forged = await signJwt(
    { role: "service_role" },
    "another-secret-of-at-least-32-characters",
    exp,
  );
  const expired = await signJwt({ role: "anon" }, secret, Math.floor(Date.now() / 1000) - 60);
  for (const token of [forged, expired]) {
    const res = await call("/functions/v1/echo", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { msg: "Invalid JWT" });
  }
});

Deno.test("gateway: a valid key reaches the function at /<name>/..., headers and query kept", async () => {
  const { anon } = legacy;
  const res = await call("/functions/v1/echo/sub/path?x=1", {
    headers: { authorization: `Bearer ${anon}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { path: "/echo/sub/path", search: "?x=1" });
  assert.equal(seen.at(-1)!.headers.get("authorization"), `Bearer ${anon}`);
});

Deno.test("gateway: Kong copies a legacy apikey into Authorization (raw, so not Bearer)", async () => {
  const { anon } = legacy;
  const res = await call("/functions/v1/echo", { headers: { apikey: anon } });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { msg: "Error: Auth header is not 'Bearer {token}'" });
});

Deno.test("gateway: an sb_ key reaches a verify_jwt function as a short-lived ES256 JWT of its role, never as the bearer", async () => {
  for (const [apikey, role] of sbKeyRoles) {
    // apikey alone, and as supabase-js's functions.invoke sends it (the key as bearer too).
    for (const bearer of [undefined, `Bearer ${apikey}`]) {
      const headers: Record<string, string> = { apikey };
      if (bearer) headers.authorization = bearer;
      const res = await call("/functions/v1/echo", { headers });
      assert.equal(res.status, 200, `${apikey} ${bearer}`);
      await res.body?.cancel();
      const got = seen.at(-1)!.headers;
      assert.equal(await mintedRole(got.get("authorization")), role);
      assert.equal(got.get("apikey"), apikey, "the function still sees which key called it");
    }
  }
});

Deno.test("gateway: a made-up sb_ key is never forwarded: no Authorization, so verify_jwt refuses", async () => {
  const forms: Record<string, string>[] = [
    { apikey: "sb_secret_made_up" },
    { apikey: "sb_secret_made_up", authorization: "Bearer sb_secret_made_up" },
    { authorization: "Bearer sb_secret_test" }, // a real key, but as the bearer alone
  ];
  for (const headers of forms) {
    const res = await call("/functions/v1/echo", { headers });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { msg: "Error: Missing authorization header" });
    const open = await call("/functions/v1/open", { headers });
    assert.equal(open.status, 200);
    await open.body?.cancel();
    assert.equal(seen.at(-1)!.headers.get("authorization"), null);
  }
});

Deno.test("gateway: verify_jwt takes ES256 tokens signed with a key of the JWKS, and legacy HS256 ones", async () => {
  const exp = Math.floor(Date.now() / 1000) + 60;
  const claims = { role: "authenticated", sub: "c0000000-0000-4000-8000-000000000001", exp };
  const es256 = await signWithKey(claims, signingKey);
  const hs256 = await signJwt(claims, secret, exp);
  for (const token of [es256, hs256]) {
    const res = await call("/functions/v1/echo", {
      headers: { apikey: "sb_publishable_test", authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(seen.at(-1)!.headers.get("authorization"), `Bearer ${token}`, "passed through");
  }
  const stranger = await generateSigningKey();
  const expired = await signWithKey({ ...claims, exp: exp - 120 }, signingKey);
  for (
    const token of [
      await signWithKey(claims, stranger),
      await signWithKey(claims, { ...stranger, kid: signingKey.kid }),
      expired,
    ]
  ) {
    const res = await call("/functions/v1/echo", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { msg: "Invalid JWT" });
  }
});

Deno.test("gateway: a minted JWT is reused while it has more than a minute left, then minted anew", async () => {
  let clock = 1_900_000_000;
  const minted: string[] = [];
  const fn = gateway({
    jwtSecret: secret,
    signingKeys: [signingKey],
    apiKeys: keys,
    now: () => clock,
    functions: [{ name: "open", entrypoint: "open.ts", verifyJwt: false }],
    load: () =>
      Promise.resolve({
        default: {
          fetch: (req: Request) => {
            minted.push(req.headers.get("authorization")!.slice("Bearer ".length));
            return new Response("ok");
          },
        },
      }),
  });
  const hit = () =>
    fn(
      new Request("http://127.0.0.1:54321/functions/v1/open", {
        headers: { apikey: "sb_secret_test" },
      }),
    );
  await hit();
  clock += MINTED_TOKEN_SECONDS - 61;
  await hit();
  clock += 2;
  await hit();
  assert.equal(minted[0], minted[1]);
  assert.notEqual(minted[1], minted[2]);
  assert.equal(decodeJwt(minted[2]).iat, clock);
});

Deno.test("gateway: the JWKS at /auth/v1/.well-known/jwks.json: public keys only, no key needed, cached as Auth does", async () => {
  const res = await call(JWKS_PATH);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "public, max-age=600");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const body = await res.json();
  assert.deepEqual(body, publicJwks([signingKey]));
  assert.equal(body.keys[0].d, undefined);
  assert.ok(!JSON.stringify(body).includes(btoa(secret).slice(0, 20)), "no legacy secret");
  const pre = await call(JWKS_PATH, {
    method: "OPTIONS",
    headers: { origin: "http://localhost:3000", "access-control-request-method": "GET" },
  });
  assert.equal(pre.status, 200);
  assert.equal((await call("/auth/v1/token")).status, 404, "no Auth server otherwise");
});

Deno.test("gateway: verify_jwt = false lets anonymous calls through", async () => {
  const res = await call("/functions/v1/open", { method: "POST", body: "{}" });
  assert.equal(res.status, 200);
});

Deno.test("gateway: CORS preflights are answered without a token; plain OPTIONS reach the function", async () => {
  const pre = await call("/functions/v1/echo", {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:3000",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization, content-type");
  const plain = await call("/functions/v1/echo", { method: "OPTIONS" });
  assert.equal(plain.status, 200);
});

Deno.test("gateway: unknown functions are 404 text, unknown routes 404 JSON", async () => {
  const res = await call("/functions/v1/nope");
  assert.equal(res.status, 404);
  assert.equal(await res.text(), "Function not found");
  assert.equal((await call("/rest/v1/profiles")).status, 404);
});

Deno.test("gateway: a function that fails to load is 503 BOOT_ERROR; a crash is 500 WORKER_ERROR", async () => {
  const boot = await quietly(() => call("/functions/v1/broken"));
  assert.equal(boot.status, 503);
  assert.equal((await boot.json()).code, "BOOT_ERROR");
  const crash = await quietly(() => call("/functions/v1/crashing"));
  assert.equal(crash.status, 500);
  assert.equal((await crash.json()).code, "WORKER_ERROR");
});

// ------------------------------------------------------------------ /rest/v1 (Kong in front of PostgREST)

const upstream: Request[] = [];
const restKeys = { anon: "anon-key", service: "service-key" };
const restGateway = (fake: (req: Request) => Promise<Response>) =>
  gateway({
    jwtSecret: secret,
    signingKeys: [signingKey],
    apiKeys: { ...keys, legacy: [restKeys.anon, restKeys.service] },
    functions: [],
    rest: {
      url: "http://127.0.0.1:3000",
      fetch: (req) => {
        upstream.push(req);
        return fake(req);
      },
    },
  });
const postgrest = restGateway(async (req) => {
  const body = req.body ? await req.text() : "";
  return new Response(JSON.stringify([{ url: req.url, method: req.method, body }]), {
    status: 200,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "content-range": "0-0/*",
      "access-control-allow-origin": "http://localhost:3000",
    },
  });
});
const rest = (path: string, init: RequestInit = {}) =>
  postgrest(new Request(`http://127.0.0.1:54321${path}`, init));

Deno.test("gateway /rest/v1: no apikey is 401 with hosted Supabase's body; an unknown key too", async () => {
  const res = await rest("/rest/v1/courses?select=slug", {
    headers: { authorization: "Bearer some.user.token" },
  });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), {
    message: "No API key found in request",
    hint: "No `apikey` request header or url param was found.",
  });
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const bad = await rest("/rest/v1/courses", { headers: { apikey: "nope" } });
  assert.equal(bad.status, 401);
  assert.deepEqual(await bad.json(), {
    message: "Invalid API key",
    hint: "Double check your Supabase `anon` or `service_role` API key.",
  });
});

Deno.test("gateway /rest/v1: the prefix is stripped; the apikey becomes the bearer when none is sent", async () => {
  const res = await rest("/rest/v1/courses?select=slug,title&or=(a.eq.1,b.eq.2)", {
    headers: { apikey: restKeys.anon },
  });
  assert.equal(res.status, 200);
  const sent = upstream.at(-1)!;
  assert.equal(sent.url, "http://127.0.0.1:3000/courses?select=slug,title&or=(a.eq.1,b.eq.2)");
  assert.equal(sent.headers.get("authorization"), `Bearer ${restKeys.anon}`);
  assert.equal(sent.headers.get("apikey"), restKeys.anon);
  // Kong's cors plugin sets the origin header on every answer.
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("content-range"), "0-0/*");
});

Deno.test("gateway /rest/v1: publishable and secret keys reach PostgREST as short-lived ES256 JWTs of their role", async () => {
  for (const [apikey, role] of sbKeyRoles) {
    const forms: RequestInit[] = [
      { headers: { apikey } },
      { headers: { apikey, authorization: `Bearer ${apikey}` } }, // supabase-js
    ];
    for (const init of forms) {
      const res = await rest("/rest/v1/courses?select=slug", init);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const sent = upstream.at(-1)!.headers;
      assert.equal(await mintedRole(sent.get("authorization")), role);
      assert.doesNotMatch(sent.get("authorization")!, /sb_/);
    }
    const viaQuery = await rest(`/rest/v1/courses?apikey=${apikey}`);
    await viaQuery.body?.cancel();
    assert.equal(await mintedRole(upstream.at(-1)!.headers.get("authorization")), role);
    assert.equal(upstream.at(-1)!.url, "http://127.0.0.1:3000/courses");
  }
  // A user's token is kept whatever the key; a made-up sb_ key is refused by key-auth.
  const user = await rest("/rest/v1/courses", {
    headers: { apikey: "sb_publishable_test", authorization: "Bearer user.jwt.here" },
  });
  await user.body?.cancel();
  assert.equal(upstream.at(-1)!.headers.get("authorization"), "Bearer user.jwt.here");
  const bad = await rest("/rest/v1/courses", { headers: { apikey: "sb_publishable_nope" } });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).message, "Invalid API key");
  // A legacy key with an sb_ bearer: the legacy key is the bearer.
  const mixed = await rest("/rest/v1/courses", {
    headers: { apikey: restKeys.anon, authorization: "Bearer sb_publishable_test" },
  });
  await mixed.body?.cancel();
  assert.equal(upstream.at(-1)!.headers.get("authorization"), `Bearer ${restKeys.anon}`);
});

Deno.test("gateway /rest/v1: a sent Authorization is kept; bodies and methods pass through", async () => {
  const res = await rest("/rest/v1/rpc/enroll", {
    method: "POST",
    headers: {
      apikey: restKeys.anon,
      authorization: "Bearer user.jwt.here",
      "content-type": "application/json",
    },
    body: JSON.stringify({ course_id: "c1" }),
  });
  assert.deepEqual(await res.json(), [{
    url: "http://127.0.0.1:3000/rpc/enroll",
    method: "POST",
    body: '{"course_id":"c1"}',
  }]);
  assert.equal(upstream.at(-1)!.headers.get("authorization"), "Bearer user.jwt.here");
});

Deno.test("gateway /rest/v1: ?apikey= is accepted as Kong does, and removed before PostgREST", async () => {
  const res = await rest(`/rest/v1/courses?select=slug&apikey=${restKeys.service}&limit=1`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const sent = upstream.at(-1)!;
  assert.equal(sent.url, "http://127.0.0.1:3000/courses?select=slug&limit=1");
  assert.equal(sent.headers.get("authorization"), `Bearer ${restKeys.service}`);
  const root = await rest(`/rest/v1/?apikey=${restKeys.anon}`);
  await root.body?.cancel();
  assert.equal(upstream.at(-1)!.url, "http://127.0.0.1:3000/");
});

Deno.test("gateway /rest/v1: preflights are answered before key-auth, like Kong's cors plugin", async () => {
  const before = upstream.length;
  const res = await rest("/rest/v1/courses", {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:3000",
      "access-control-request-method": "PATCH",
      "access-control-request-headers":
        "apikey, authorization, content-type, prefer, x-client-info",
    },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(
    res.headers.get("access-control-allow-methods"),
    "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
  );
  assert.equal(
    res.headers.get("access-control-allow-headers"),
    "apikey, authorization, content-type, prefer, x-client-info",
  );
  assert.equal(res.headers.get("access-control-allow-credentials"), null);
  assert.equal(res.headers.get("access-control-max-age"), null);
  assert.equal(upstream.length, before, "PostgREST never sees a preflight");
});

Deno.test("gateway /rest/v1: PostgREST down is 502 with Kong's message", async () => {
  const down = restGateway(() => Promise.reject(new TypeError("connection refused")));
  const res = await down(
    new Request("http://127.0.0.1:54321/rest/v1/courses", { headers: { apikey: restKeys.anon } }),
  );
  assert.equal(res.status, 502);
  assert.deepEqual(await res.json(), {
    message: "An invalid response was received from the upstream server",
  });
});
