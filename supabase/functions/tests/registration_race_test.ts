// Registration at capacity under concurrency: many students race for a few seats, each on their
// own connection, as concurrent PostgREST requests would. Exactly `capacity` get in.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";

Deno.test("register_for_session: 20 concurrent students, 5 seats, exactly 5 registrations", async () => {
  const admin = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const host = await createUser(admin, `race-host-${tag}@test.local`, { role: "instructor" });
  const students = await Promise.all(
    Array.from({ length: 20 }, (_, i) => createUser(admin, `race-${i}-${tag}@test.local`)),
  );
  const [session] = await admin`
    insert into public.live_sessions (title, starts_at, capacity, is_published, created_by)
    values ('Race webinar', now() + interval '1 day', 5, true, ${host}) returning id`;
  const pools = students.map(() => connect(testDbUrl(), { max: 1 }));
  try {
    const claims = await Promise.all(students.map((s) => claimsFor(admin, s)));
    const results = await Promise.allSettled(
      pools.map((sql, i) =>
        asCaller(
          sql,
          claims[i],
          (tx) => tx`select public.register_for_session(${session.id}) as ok`,
        )
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.equal(won.length, 5, "exactly the capacity");
    assert.equal(lost.length, 15);
    for (const r of lost) {
      assert.equal(r.reason.code, "P0001");
      assert.equal(r.reason.message, "this session is full");
    }
    const [row] = await admin`
      select registered_count, (select count(*)::int from public.live_session_registrations r
                                where r.session_id = s.id and r.cancelled_at is null) as actual
      from public.live_sessions s where s.id = ${session.id}`;
    assert.deepEqual({ ...row }, { registered_count: 5, actual: 5 });
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await admin`delete from public.live_sessions where id = ${session.id}`;
    await deleteUsers(admin, [host, ...students]);
    await admin.end();
  }
});
