// Running SQL as the caller from TypeScript, the way PostgREST does: RLS and grants decide.
import assert from "node:assert/strict";
import { asCaller, connect, type Sql } from "./db.ts";
import { toResponse } from "./http.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "./testing/users.ts";

async function withPersonas(
  fn: (sql: Sql, p: { alice: string; bob: string; admin: string }) => Promise<void>,
) {
  const sql = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const alice = await createUser(sql, `alice-${tag}@test.local`, {
    metadata: { display_name: "Alice" },
  });
  const bob = await createUser(sql, `bob-${tag}@test.local`, { metadata: { display_name: "Bob" } });
  const admin = await createUser(sql, `admin-${tag}@test.local`, { role: "admin" });
  try {
    await fn(sql, { alice, bob, admin });
  } finally {
    await deleteUsers(sql, [alice, bob, admin]);
    await sql.end();
  }
}

Deno.test("asCaller: a student sees only their own profile", () =>
  withPersonas(async (sql, { alice }) => {
    const rows = await asCaller(
      sql,
      await claimsFor(sql, alice),
      (tx) => tx`select id from public.profiles`,
    );
    assert.deepEqual(rows.map((r) => r.id), [alice]);
  }));

Deno.test("asCaller: a student updates their own profile and not someone else's", () =>
  withPersonas(async (sql, { alice, bob }) => {
    const claims = await claimsFor(sql, alice);
    const own = await asCaller(
      sql,
      claims,
      (tx) =>
        tx`update public.profiles set display_name = 'Alice A.' where id = ${alice} returning id`,
    );
    assert.equal(own.length, 1);
    const other = await asCaller(
      sql,
      claims,
      (tx) => tx`update public.profiles set display_name = 'pwned' where id = ${bob} returning id`,
    );
    assert.equal(other.length, 0);
    const [b] = await sql`select display_name from public.profiles where id = ${bob}`;
    assert.equal(b.display_name, "Bob");
  }));

Deno.test("asCaller: a non-editable column is refused (42501), mapped to 403", () =>
  withPersonas(async (sql, { alice }) => {
    const err = await asCaller(
      sql,
      await claimsFor(sql, alice),
      (tx) => tx`update public.profiles set created_at = now() where id = ${alice}`,
    ).catch((e) => e);
    assert.equal(err.code, "42501");
    const res = toResponse(err);
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "42501");
  }));

Deno.test("asCaller: grant_role refuses a student and works for an admin, audited", () =>
  withPersonas(async (sql, { alice, bob, admin }) => {
    const denied = await asCaller(
      sql,
      await claimsFor(sql, alice),
      (tx) => tx`select public.grant_role(${alice}, 'admin')`,
    ).catch((e) => e);
    assert.equal(denied.code, "42501");
    assert.equal(denied.message, "only admins can change roles");
    const [{ granted }] = await asCaller(
      sql,
      await claimsFor(sql, admin),
      (tx) => tx`select public.grant_role(${bob}, 'instructor') as granted`,
    );
    assert.equal(granted, true);
    assert.equal((await claimsFor(sql, bob)).user_role, "instructor");
    const audit = await sql`
      select actor_id from public.audit_log where action = 'role.granted' and target_id = ${bob}`;
    assert.deepEqual(audit.map((a) => a.actor_id), [admin]);
  }));

Deno.test("asCaller: role and claims last only for the transaction", () =>
  withPersonas(async (sql, { alice }) => {
    await asCaller(sql, await claimsFor(sql, alice), (tx) => tx`select 1`);
    const [after] = await sql`
      select current_user as role, coalesce(current_setting('request.jwt.claims', true), '') as claims`;
    assert.equal(after.role, "postgres");
    assert.equal(after.claims, "");
  }));

Deno.test("asCaller: refuses a role that is not an API role", () =>
  withPersonas(async (sql) => {
    await assert.rejects(
      () => asCaller(sql, { role: "postgres" }, (tx) => tx`select 1`),
      /unexpected request role: postgres/,
    );
  }));

Deno.test("the token hook's claims carry the user's role", () =>
  withPersonas(async (sql, { alice, admin }) => {
    assert.equal((await claimsFor(sql, alice)).user_role, "student");
    assert.equal((await claimsFor(sql, admin)).user_role, "admin");
  }));
