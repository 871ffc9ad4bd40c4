// Rate limits end to end, with the limits as deployed (public.rate_limits' defaults) and the hook
// registered by the deploy step: a flood of writes through the gateway and PostgREST 12.0.2 gets
// 429 with Retry-After and writes nothing it refused; reads are limited by how many run at once;
// edge functions share the same buckets.
import assert from "node:assert/strict";
import { type Claims, connect, takeToken } from "../supabase/functions/_shared/db.ts";
import { toResponse } from "../supabase/functions/_shared/http.ts";
import { accessToken, asAuthServer } from "./lib/access-token.ts";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";

const restUrl = () => `${env("SUPABASE_URL")}/rest/v1`;
const tokenFor = (email: string) =>
  asAuthServer(
    env("SUPABASE_DB_URL"),
    (sql) =>
      accessToken(sql, email, env("SUPABASE_JWT_SECRET"), {
        issuer: `${env("SUPABASE_URL")}/auth/v1`,
      }),
  );

Deno.test("rate limits: a flood of writes gets 429 with Retry-After, and nothing it refused is written", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 2 });
  const marker = `flood ${crypto.randomUUID().slice(0, 8)}`;
  try {
    const [{ course_id, user_id, capacity }] = await sql`
      select c.id as course_id, ci.user_id,
             (select capacity from public.rate_limits where bucket_class = 'write') as capacity
      from public.courses c join public.course_instructors ci on ci.course_id = c.id
      join auth.users u on u.id = ci.user_id
      where u.email = 'priya@example.com' and c.slug = 'sql-for-beginners'`;
    // A full bucket for this test, whatever the recipes spent before it.
    await sql`delete from private.rate_buckets where bucket_class = 'write' and subject = ${user_id}::text`;
    const { token } = await tokenFor("priya@example.com");
    const flood = capacity + 15;
    const responses = await Promise.all(
      Array.from({ length: flood }, (_, i) =>
        fetch(`${restUrl()}/sections`, {
          method: "POST",
          headers: {
            apikey: env("SUPABASE_ANON_KEY"),
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            prefer: "return=minimal",
          },
          body: JSON.stringify({ course_id, title: `${marker} ${i}`, position: 100000 + i }),
        }).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          body: await res.text(),
        }))),
    );
    const created = responses.filter((r) => r.status === 201);
    const limited = responses.filter((r) => r.status === 429);
    assert.equal(created.length + limited.length, flood, JSON.stringify(responses.slice(0, 3)));
    // The bucket starts full and refills at a token a second while the flood runs.
    assert.ok(created.length >= capacity && created.length < flood, `${created.length} created`);
    for (const r of limited) {
      assert.match(r.retryAfter ?? "", /^[1-9]\d*$/, "Retry-After: whole seconds");
      assert.deepEqual(JSON.parse(r.body), {
        code: "PT429",
        details: "rate_limited",
        hint: `Retry after ${r.retryAfter} seconds.`,
        message: "Too many requests. Please wait a moment and try again.",
      });
    }
    const [{ written }] = await sql`
      select count(*)::int as written from public.sections where course_id = ${course_id} and title like ${
      marker + "%"
    }`;
    assert.equal(written, created.length, "exactly the accepted writes were written");
  } finally {
    await sql`delete from public.sections where title like ${marker + "%"}`;
    await sql`delete from private.rate_buckets where bucket_class = 'write'`;
    await sql.end();
  }
});

Deno.test("rate limits: reads are limited by how many of one caller's run at once", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 4 });
  const subject = `ip:test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const [{ capacity }] =
      await sql`select capacity from public.rate_limits where bucket_class = 'search'`;
    // `capacity` searches of one caller in flight, each holding its slot until it ends.
    const release = Promise.withResolvers<void>();
    const holding = Array.from({ length: capacity }, () =>
      sql.begin(async (tx) => {
        await tx`select private.take_token('search', ${subject})`;
        await release.promise;
      }));
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(
      sql.begin((tx) => tx`select private.take_token('search', ${subject})`),
      (e: { code?: string; detail?: string; hint?: string }) =>
        e.code === "PT429" && e.detail === "rate_limited" && e.hint === "Retry after 1 seconds.",
    );
    release.resolve();
    await Promise.all(holding);
    await sql.begin((tx) => tx`select private.take_token('search', ${subject})`); // free again
  } finally {
    await sql.end();
  }
});

Deno.test("rate limits: edge functions share the buckets; over the limit they answer 429 with Retry-After", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 2 });
  const claims: Claims = { role: "authenticated", sub: crypto.randomUUID() };
  try {
    const [{ capacity }] = await sql`
      select capacity from public.rate_limits where bucket_class = 'function:checkout'`;
    for (let i = 0; i < capacity; i++) await takeToken(sql, "function:checkout", claims);
    const refused = await takeToken(sql, "function:checkout", claims).then(() => null, (e) => e);
    assert.ok(refused, "the bucket is empty");
    const res = toResponse(refused);
    assert.equal(res.status, 429);
    assert.match(res.headers.get("retry-after") ?? "", /^[1-9]\d*$/);
    assert.equal((await res.json()).error.code, "rate_limited");
    // Anon is not limited here: the function's SQL refuses it.
    await takeToken(sql, "function:checkout", { role: "anon" });
  } finally {
    await sql`delete from private.rate_buckets where subject = ${claims.sub!}`;
    await sql.end();
  }
});
