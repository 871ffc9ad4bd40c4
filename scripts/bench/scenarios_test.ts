// The bench's scenarios stay runnable: each one runs once, with RLS, against the test database,
// on a small bench platform (./seed.ts at its smallest scale) that is rolled back afterwards. The
// timings themselves, and their targets, are the bench's business (`npm run bench`), not a test's.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { connect } from "../../supabase/functions/_shared/db.ts";
import { testDbUrl } from "../../supabase/functions/_shared/testing/users.ts";
import { SUPERUSER } from "../lib/postgres.ts";
import type { LoadResult } from "./load.ts";
import { runRequest, userOf } from "./scenario.ts";
import { loads, scenarios } from "./scenarios.ts";
import { claimsOf, dropExam, generate, generateExam, samples, size } from "./seed.ts";

/** Not scenarios: the runner, the shared modules, the rate-limit hook's measurement, the tests. */
const infrastructure = new Set([
  "main.ts",
  "seed.ts",
  "scenario.ts",
  "scenarios.ts",
  "load.ts",
  "rate-limit-hook.ts",
]);

Deno.test("bench: every scenario module in scripts/bench is listed in scenarios.ts under its file name", async () => {
  const files = readdirSync(new URL(".", import.meta.url))
    .filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts") && !infrastructure.has(f)).sort();
  const listed = { ...scenarios, ...loads } as Record<string, unknown>;
  assert.deepEqual(files, Object.keys(listed).map((id) => `${id}.ts`).sort());
  for (const f of files) {
    const mod: { default: unknown } = await import(`./${f}`);
    assert.equal(listed[f.replace(/\.ts$/, "")], mod.default, f);
  }
});

class Rollback extends Error {}

Deno.test("bench: every scenario runs once, with RLS, on a small bench platform (rolled back)", async () => {
  // The bench writes as the superuser (replica mode for its bulk rows), as it does on its own
  // throwaway database; the test stack's superuser has the same password as postgres.
  const admin = new URL(testDbUrl());
  admin.username = SUPERUSER;
  const sql = connect(admin.toString(), { max: 1 });
  const n = size(0);
  const rows: Record<string, number> = {};
  try {
    await sql.begin(async (tx) => {
      await generate(tx, n, { analyze: false });
      const [s] = await samples(tx, 1);
      assert.ok(s?.lessonId, "the bench platform has a sampled student, course and lesson");
      const claims = await claimsOf(tx, [s]);
      for (const [id, sc] of Object.entries(scenarios)) {
        rows[id] = (await runRequest(tx, sc.request(s, 0), claims.get(userOf(sc, s))!, true)).rows;
        await tx`reset role`;
      }
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  } finally {
    await sql.end();
  }
  for (const id of Object.keys(scenarios)) assert.ok(rows[id] > 0, `${id} answered no rows`);
  // The calls whose answer the platform fixes: every lesson of the course, the open lesson's
  // content, each of the student's courses.
  assert.equal(rows["course-outline"], n.sectionsPerCourse * n.lessonsPerSection);
  assert.equal(rows["lesson-content"], 1);
  assert.equal(rows["dashboard"], n.coursesPerStudent);
});

Deno.test("bench: the exam scenarios run at a tiny scale, with correct results (committed, then removed)", async () => {
  // The crowd needs its own connections, so the exam is committed (its own course and users,
  // tagged) and removed afterwards. Four connections, so parallel calls really meet in the
  // database (the start burst's double clicks); the exam's clock at 200× (a 2-second exam).
  const admin = new URL(testDbUrl());
  admin.username = SUPERUSER;
  const sql = connect(admin.toString(), { max: 1 });
  const tag = `t${Date.now()}`;
  const students = 20;
  const results: Record<string, LoadResult> = {};
  try {
    const exam = await generateExam(sql, students, tag);
    for (const [id, sc] of Object.entries(loads)) {
      results[id] = await sc.run({
        url: admin.toString(),
        admin: sql,
        exam,
        students,
        pool: 4,
        speed: 200,
        attempts: 50,
        iterations: 3,
        log: () => {},
      });
    }
  } finally {
    await dropExam(sql, tag);
    await sql.end();
  }
  for (const [id, r] of Object.entries(results)) {
    assert.deepEqual(r.errorSamples, [], `${id}: errors`);
    for (const c of r.calls) assert.equal(c.errors, 0, `${id}: ${c.call} errors`);
    // Every figure with a target on correctness holds (timings at this scale say nothing).
    for (
      const f of r.figures.filter((f) => f.met !== undefined && !/p95|time until/.test(f.label))
    ) {
      assert.ok(f.met, `${id}: ${f.label}: ${f.value}, expected ${f.target}`);
    }
  }
  const count = (id: string, call: string) => results[id].calls.find((c) => c.call === call)?.count;
  assert.equal(count("exam-sync", "start_attempt"), students);
  assert.equal(count("exam-sync", "save_answer"), students * 10);
  assert.equal(count("exam-sync", "submit_attempt"), students);
  // One start per student and a second one from every tenth: two students double-click.
  assert.equal(count("exam-start-burst", "start_attempt"), students + 2);
  const burst = results["exam-start-burst"].figures;
  assert.equal(
    burst.find((f) => f.label.startsWith("attempts in the database"))?.value,
    "20, 0, 200",
  );
  assert.equal(burst.find((f) => f.label.startsWith("double clicks"))?.value, "0");
  assert.equal(count("exam-throughput", "save_answer"), students * 10);
  assert.equal(count("exam-throughput", "submit_attempt"), students);
  assert.equal(count("exam-item-stats", "quiz_item_stats"), 3);
  assert.equal(count("exam-item-stats", "quiz_item_stats, first call after a change"), 3);
  const stats = results["exam-item-stats"].figures;
  assert.equal(stats.find((f) => f.label.startsWith("questions in the answer"))?.value, "10, 500");
});
