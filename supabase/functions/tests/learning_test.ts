// The learning flow from TypeScript, as a frontend's requests run through PostgREST:
// locked content, free enrolment, then progress to completion.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { publishedCourse } from "../_shared/testing/catalog.ts";

Deno.test("learning: enrol in a free course, read the lesson, complete the course", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const teacher = await createUser(sql, `teach-${tag}@test.local`, { role: "instructor" });
  const student = await createUser(sql, `learn-${tag}@test.local`);
  try {
    const course = await publishedCourse(sql, teacher, {
      slug: `free-${tag}`,
      title: "Free Course",
      isFree: true,
      lessonTitle: "Only lesson",
      body: "the body",
    });
    const lesson = { id: course.lessonId };

    const claims = await claimsFor(sql, student);
    const readBody = () =>
      asCaller(
        sql,
        claims,
        (tx) => tx`select body from public.lesson_contents where lesson_id = ${lesson.id}`,
      );

    assert.equal((await readBody()).length, 0, "locked before enrolling");
    const denied = await asCaller(
      sql,
      claims,
      (tx) => tx`select public.record_progress(${lesson.id}, true)`,
    )
      .catch((e) => e);
    assert.equal(denied.code, "42501");

    const [{ id }] = await asCaller(
      sql,
      claims,
      (tx) => tx`select public.enrol_free(${course.id}) as id`,
    );
    assert.ok(id);
    assert.deepEqual((await readBody()).map((r) => r.body), ["the body"]);

    const [progress] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx`select (p).percent, (p).completed_at from public.record_progress(${lesson.id}, true) p`,
    );
    assert.equal(Number(progress.percent), 100);
    assert.ok(progress.completed_at instanceof Date);

    const dashboard = await asCaller(
      sql,
      claims,
      (tx) => tx`select title, percent from public.my_dashboard()`,
    );
    assert.deepEqual(dashboard.map((d) => [d.title, Number(d.percent)]), [["Free Course", 100]]);
  } finally {
    await sql`delete from public.courses where owner_id = ${teacher}`;
    await deleteUsers(sql, [student, teacher]);
    await sql.end();
  }
});
