// The real REST API end to end, through the running test stack: HTTP -> gateway (/rest/v1, Kong's
// rules) -> PostgREST 12.0.2 -> PostgreSQL, with supabase-js as a frontend uses it and with plain
// fetch where the wire matters. Tokens come from scripts/lib/access-token.ts, as `npm run token`.
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { connect } from "../supabase/functions/_shared/db.ts";
import { signJwt } from "../supabase/functions/_shared/jwt.ts";
import { accessToken, asAuthServer } from "./lib/access-token.ts";
import { INVALID_API_KEY, NO_API_KEY } from "./lib/gateway.ts";
import { reloadSchema } from "./lib/postgrest.ts";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";

const supabaseUrl = () => env("SUPABASE_URL");
const restUrl = () => `${supabaseUrl()}/rest/v1`;
const anonKey = () => env("SUPABASE_ANON_KEY");
const secret = () => env("SUPABASE_JWT_SECRET");
const noSession = { auth: { persistSession: false, autoRefreshToken: false } };

/** supabase-js for a signed-in user: the anon key as apikey, their token as bearer. */
const clientFor = (token: string) =>
  createClient(supabaseUrl(), anonKey(), {
    ...noSession,
    global: { headers: { Authorization: `Bearer ${token}` } },
  });

const tokenFor = (email: string) =>
  asAuthServer(
    env("SUPABASE_DB_URL"),
    (sql) => accessToken(sql, email, secret(), { issuer: `${supabaseUrl()}/auth/v1` }),
  );

Deno.test("rest: anon reads the published catalog with supabase-js (200, a JSON array)", async () => {
  const supabase = createClient(supabaseUrl(), anonKey(), noSession);
  const { data, error, status } = await supabase.from("courses").select("slug");
  assert.equal(error, null);
  assert.equal(status, 200);
  assert.ok(Array.isArray(data) && data.length > 0, "the seed has published courses");
  assert.ok(data.every((c) => typeof c.slug === "string"));
});

Deno.test("rest: GET /rest/v1/courses with the anon apikey alone answers 200 JSON", async () => {
  const res = await fetch(`${restUrl()}/courses?select=slug`, {
    headers: { apikey: anonKey() },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  assert.ok(Array.isArray(body) && body.length > 0);
  assert.equal(res.headers.get("server"), "postgrest/12.0.2");
});

Deno.test("rest: without an apikey the gateway answers 401 with Supabase's body", async () => {
  const res = await fetch(`${restUrl()}/courses?select=slug`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), NO_API_KEY);
  // A user token alone is not an API key either.
  const { token } = await tokenFor("sam@example.com");
  const bearerOnly = await fetch(`${restUrl()}/courses?select=slug`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(bearerOnly.status, 401);
  assert.deepEqual(await bearerOnly.json(), NO_API_KEY);
  const unknown = await fetch(`${restUrl()}/courses`, { headers: { apikey: "not-a-key" } });
  assert.equal(unknown.status, 401);
  assert.deepEqual(await unknown.json(), INVALID_API_KEY);
});

Deno.test("rest: the apikey query parameter is accepted and never reaches PostgREST as a filter", async () => {
  const res = await fetch(`${restUrl()}/courses?select=slug&limit=1&apikey=${anonKey()}`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).length, 1);
});

Deno.test("rest: the apikey alone is the bearer: the service_role key reads what anon may not", async () => {
  const anon = await fetch(`${restUrl()}/user_roles?select=role`, {
    headers: { apikey: anonKey() },
  });
  assert.equal(anon.status, 401); // 42501 for anon
  assert.equal((await anon.json()).code, "42501");
  const service = await fetch(`${restUrl()}/user_roles?select=role`, {
    headers: { apikey: env("SUPABASE_SERVICE_ROLE_KEY") },
  });
  assert.equal(service.status, 200);
  assert.ok((await service.json()).some((r: { role: string }) => r.role === "admin"));
});

Deno.test("rest: an instructor's token from the token module is accepted; user_role comes from the hook", async () => {
  const { token, claims } = await tokenFor("priya@example.com");
  assert.equal(claims.user_role, "instructor");
  assert.equal(claims.role, "authenticated");
  assert.equal(claims.iss, `${supabaseUrl()}/auth/v1`);
  const { data, error } = await clientFor(token).from("user_roles").select("user_id, role");
  assert.equal(error, null);
  assert.deepEqual(data, [{ user_id: claims.sub, role: "instructor" }]);
});

Deno.test("rest: PostgREST refuses an expired or wrongly signed token with 401", async () => {
  const { claims } = await tokenFor("priya@example.com");
  const now = Math.floor(Date.now() / 1000);
  const expired = await signJwt({ ...claims, iat: now - 7200 }, secret(), now - 3600);
  const forged = await signJwt(claims, "another-secret-with-at-least-32-characters", now + 600);
  for (const [token, message] of [[expired, /expired/i], [forged, /signature/i]] as const) {
    const res = await fetch(`${restUrl()}/courses?select=slug`, {
      headers: { apikey: anonKey(), authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 401);
    const body = await res.json();
    assert.equal(body.code, "PGRST301");
    assert.match(body.message, message);
  }
});

Deno.test("rest: a student's direct insert into entitlements is refused (42501, 403)", async () => {
  const { token, claims } = await tokenFor("sam@example.com");
  const course = await createClient(supabaseUrl(), anonKey(), noSession).from("courses")
    .select("id").limit(1).single();
  assert.equal(course.error, null);
  const { error, status } = await clientFor(token).from("entitlements").insert({
    user_id: claims.sub,
    course_id: course.data!.id,
    source: "grant",
  });
  assert.equal(status, 403);
  assert.equal(error?.code, "42501");
  // As anon, the same insert is 401.
  const anon = await createClient(supabaseUrl(), anonKey(), noSession).from("entitlements")
    .insert({ user_id: claims.sub, course_id: course.data!.id, source: "grant" });
  assert.equal(anon.status, 401);
  assert.equal(anon.error?.code, "42501");
});

Deno.test("rest: CORS preflights are answered by the gateway, without an apikey", async () => {
  const res = await fetch(`${restUrl()}/entitlements`, {
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:3000",
      "access-control-request-method": "POST",
      "access-control-request-headers": "apikey, authorization, content-type, prefer",
    },
  });
  await res.body?.cancel();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.equal(
    res.headers.get("access-control-allow-headers"),
    "apikey, authorization, content-type, prefer",
  );
  // And a browser can read an answer, Content-Range included.
  const get = await fetch(`${restUrl()}/courses?select=slug`, {
    headers: { apikey: anonKey(), origin: "http://localhost:3000", prefer: "count=exact" },
  });
  await get.body?.cancel();
  assert.equal(get.headers.get("access-control-allow-origin"), "*");
  assert.match(get.headers.get("access-control-expose-headers") ?? "", /Content-Range/i);
});

Deno.test("rest: NOTIFY pgrst, 'reload schema' makes PostgREST see a new table", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  const table = `rest_reload_probe_${crypto.randomUUID().slice(0, 8)}`;
  try {
    await sql.unsafe(`create table public.${table} (id int primary key);
                      insert into public.${table} values (1);
                      grant select on public.${table} to anon;`);
    await reloadSchema(env("SUPABASE_DB_URL"));
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const res = await fetch(`${restUrl()}/${table}?select=id`, {
        headers: { apikey: anonKey() },
      });
      status = res.status;
      if (status === 200) assert.deepEqual(await res.json(), [{ id: 1 }]);
      else await res.body?.cancel();
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
  } finally {
    await sql.unsafe(`drop table if exists public.${table}; notify pgrst, 'reload schema';`);
    await sql.end();
  }
});

Deno.test("rest: reloadSchema() sends exactly NOTIFY pgrst, 'reload schema'", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  try {
    const heard: string[] = [];
    let resolve: () => void;
    const got = new Promise<void>((r) => (resolve = r));
    const listener = await sql.listen("pgrst", (payload) => {
      heard.push(payload);
      resolve();
    });
    await reloadSchema(env("SUPABASE_DB_URL"));
    await Promise.race([got, new Promise((r) => setTimeout(r, 5000))]);
    await listener.unlisten();
    assert.deepEqual(heard, ["reload schema"]);
  } finally {
    await sql.end();
  }
});
