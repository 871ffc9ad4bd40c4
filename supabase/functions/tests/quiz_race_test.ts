// One student, 20 parallel start_attempt calls, each on its own connection, as a double-clicking
// browser or a script would send them through PostgREST: start_attempt locks (student, quiz), so
// one attempt is started and every other call resumes it; the attempts allowed are never exceeded.
// Then the course's owner reads the quiz's item statistics with 20 parallel calls (the cache's
// refresh lock held elsewhere, then free): none fails.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { publishedCourse } from "../_shared/testing/catalog.ts";

Deno.test("start_attempt: 20 parallel calls by one student never exceed the attempts allowed; parallel quiz_item_stats never fail", async () => {
  const admin = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const owner = await createUser(admin, `quiz-race-owner-${tag}@test.local`, {
    role: "instructor",
  });
  const student = await createUser(admin, `quiz-race-student-${tag}@test.local`);
  const course = await publishedCourse(admin, owner, {
    slug: `quiz-race-${tag}`,
    title: "Quiz race",
    lessonKind: "quiz",
  });
  const pools = Array.from({ length: 20 }, () => connect(testDbUrl(), { max: 1 }));
  try {
    await admin`insert into public.entitlements (user_id, course_id, source) values (${student}, ${course.id}, 'grant')`;
    const [quiz] = await admin`
      insert into public.quizzes (lesson_id, max_attempts) values (${course.lessonId}, 2) returning id`;
    const [question] = await admin`
      insert into public.questions (course_id, kind, prompt) values (${course.id}, 'essay', 'Why?') returning id`;
    await admin`insert into public.quiz_questions (quiz_id, question_id, position) values (${quiz.id}, ${question.id}, 0)`;
    const claims = await claimsFor(admin, student);
    const startAll = () =>
      Promise.allSettled(
        pools.map((sql) =>
          asCaller(sql, claims, (tx) => tx`select id, number from public.start_attempt(${quiz.id})`)
        ),
      );
    const attempts = async () =>
      (await admin`select number from public.quiz_attempts where quiz_id = ${quiz.id} order by number`)
        .map((r) => r.number);

    // The first burst: one attempt started, every call answered with it.
    let results = await startAll();
    let ids = results.map((r) => r.status === "fulfilled" ? r.value[0].id : String(r.reason));
    assert.equal(
      new Set(ids).size,
      1,
      `every call returned the same attempt: ${[...new Set(ids)]}`,
    );
    assert.deepEqual(await attempts(), [1]);

    // Submitted, then a second burst: attempt 2, once.
    await asCaller(pools[0], claims, (tx) => tx`select public.submit_attempt(${ids[0]})`);
    results = await startAll();
    ids = results.map((r) => r.status === "fulfilled" ? r.value[0].id : String(r.reason));
    assert.equal(
      new Set(ids).size,
      1,
      `every call returned the same attempt: ${[...new Set(ids)]}`,
    );
    assert.deepEqual(await attempts(), [1, 2]);

    // Both used: a third burst starts nothing, and says why.
    await asCaller(pools[0], claims, (tx) => tx`select public.submit_attempt(${ids[0]})`);
    results = await startAll();
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.equal((r as PromiseRejectedResult).reason.code, "P0001");
      assert.equal((r as PromiseRejectedResult).reason.message, "you have no attempts left");
    }
    assert.deepEqual(await attempts(), [1, 2]);

    // Item statistics, 20 parallel calls by the course's owner with the cache stale: while
    // another call holds the quiz's refresh lock, each computes them and stores nothing; then
    // with the lock free, they race to store them. None fails, all answer the same.
    const ownerClaims = await claimsFor(admin, owner);
    const statsAll = async () =>
      (await Promise.allSettled(
        pools.map((sql) =>
          asCaller(
            sql,
            ownerClaims,
            (tx) =>
              tx`select question_id, answered, share_correct from public.quiz_item_stats(${quiz.id})`,
          )
        ),
      )).map((r) => r.status === "fulfilled" ? JSON.stringify(r.value) : String(r.reason));
    const stored = async () =>
      (await admin`select count(*)::int as n from private.quiz_item_stats_state where quiz_id = ${quiz.id}`)[
        0
      ].n;
    const expected = JSON.stringify([{
      question_id: question.id,
      answered: 2,
      share_correct: "0.0000",
    }]);
    await admin.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtextextended(${"quiz_item_stats:" + quiz.id}, 0))`;
      assert.deepEqual([...new Set(await statsAll())], [expected]);
      const [{ n }] =
        await tx`select count(*)::int as n from private.quiz_item_stats_state where quiz_id = ${quiz.id}`;
      assert.equal(n, 0, "nothing stored while another call holds the lock");
    });
    assert.deepEqual([...new Set(await statsAll())], [expected]);
    assert.equal(await stored(), 1, "stored once the lock is free");
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await admin`delete from public.courses where id = ${course.id}`;
    await deleteUsers(admin, [owner, student]);
    await admin.end();
  }
});
