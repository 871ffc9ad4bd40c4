// The local gateway answers exactly as the CLI's edge-runtime main service behind Kong.
import assert from "node:assert/strict";
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";
import { gateway } from "./gateway.ts";
import { apiKeys } from "./keys.ts";

const secret = "test-secret-with-at-least-32-characters!!";
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
const quiet = async <T>(fn: () => T | Promise<T>) => {
  const original = console.error;
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.error = original;
  }
};

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
  const { anon } = await apiKeys(secret);
  const res = await call("/functions/v1/echo/sub/path?x=1", {
    headers: { authorization: `Bearer ${anon}` },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { path: "/echo/sub/path", search: "?x=1" });
  assert.equal(seen.at(-1)!.headers.get("authorization"), `Bearer ${anon}`);
});

Deno.test("gateway: Kong copies a legacy apikey into Authorization (raw, so not Bearer)", async () => {
  const { anon } = await apiKeys(secret);
  const res = await call("/functions/v1/echo", { headers: { apikey: anon } });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { msg: "Error: Auth header is not 'Bearer {token}'" });
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
  const boot = await quiet(() => call("/functions/v1/broken"));
  assert.equal(boot.status, 503);
  assert.equal((await boot.json()).code, "BOOT_ERROR");
  const crash = await quiet(() => call("/functions/v1/crashing"));
  assert.equal(crash.status, 500);
  assert.equal((await crash.json()).code, "WORKER_ERROR");
});

// ------------------------------------------------------------------ /rest/v1 (Kong in front of PostgREST)

const upstream: Request[] = [];
const restKeys = { anon: "anon-key", service: "service-key" };
const restGateway = (fake: (req: Request) => Promise<Response>) =>
  gateway({
    jwtSecret: secret,
    functions: [],
    rest: {
      url: "http://127.0.0.1:3000",
      apiKeys: [restKeys.anon, restKeys.service],
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
