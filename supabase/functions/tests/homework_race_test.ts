// Resubmission under concurrency: one student hands in the same assignment many times at once, each
// call on its own connection, as concurrent PostgREST requests would. Every call succeeds, the
// attempts are numbered 1..N without gaps or repeats, and exactly one (the last) counts.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";

Deno.test("submit_assignment: 10 concurrent submissions by one student are attempts 1..10, the last counts", async () => {
  const admin = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const teacher = await createUser(admin, `hw-race-teacher-${tag}@test.local`, {
    role: "instructor",
  });
  const student = await createUser(admin, `hw-race-student-${tag}@test.local`);
  const [course] = await admin`
    insert into public.courses (slug, title, owner_id) values (${`hw-race-${tag}`}, 'Race course', ${teacher})
    returning id`;
  const [section] = await admin`
    insert into public.sections (course_id, title, position) values (${course.id}, 'Only', 0) returning id`;
  const [lesson] = await admin`
    insert into public.lessons (section_id, title, kind, position) values (${section.id}, 'Homework', 'assignment', 0)
    returning id`;
  const [assignment] = await admin`
    insert into public.assignments (lesson_id) values (${lesson.id}) returning id`;
  await admin`
    insert into public.entitlements (user_id, course_id, source) values (${student}, ${course.id}, 'grant')`;
  const n = 10;
  const pools = Array.from({ length: n }, () => connect(testDbUrl(), { max: 1 }));
  try {
    const claims = await claimsFor(admin, student);
    const results = await Promise.allSettled(
      pools.map((sql, i) =>
        asCaller(
          sql,
          claims,
          (tx) => tx`select attempt from public.submit_assignment(${assignment.id}, ${`try ${i}`})`,
        )
      ),
    );
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assert.deepEqual(failed.map((r) => String(r.reason)), [], "every submission is taken");
    const rows = await admin`
      select attempt, is_latest from public.submissions where assignment_id = ${assignment.id}
      order by attempt`;
    assert.deepEqual(
      rows.map((r) => r.attempt),
      Array.from({ length: n }, (_, i) => i + 1),
      "attempts 1..n, no gap, no repeat",
    );
    assert.deepEqual(
      rows.filter((r) => r.is_latest).map((r) => r.attempt),
      [n],
      "exactly one counts: the last",
    );
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await admin`delete from public.courses where id = ${course.id}`;
    await deleteUsers(admin, [teacher, student]);
    await admin.end();
  }
});
