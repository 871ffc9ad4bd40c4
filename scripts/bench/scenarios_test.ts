// The bench's scenarios stay runnable: each one runs once, with RLS, against the test database,
// on a small bench platform (./seed.ts at its smallest scale) that is rolled back afterwards. The
// timings themselves, and their targets, are the bench's business (`npm run bench`), not a test's.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { connect } from "../../supabase/functions/_shared/db.ts";
import { testDbUrl } from "../../supabase/functions/_shared/testing/users.ts";
import { SUPERUSER } from "../lib/postgres.ts";
import { runRequest, type Scenario, userOf } from "./scenario.ts";
import { scenarios } from "./scenarios.ts";
import { claimsOf, generate, samples, size } from "./seed.ts";

/** Not scenarios: the runner, the shared modules, the rate-limit hook's measurement, the tests. */
const infrastructure = new Set([
  "main.ts",
  "seed.ts",
  "scenario.ts",
  "scenarios.ts",
  "rate-limit-hook.ts",
]);

Deno.test("bench: every scenario module in scripts/bench is listed in scenarios.ts under its file name", async () => {
  const files = readdirSync(new URL(".", import.meta.url))
    .filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts") && !infrastructure.has(f)).sort();
  assert.deepEqual(files, Object.keys(scenarios).map((id) => `${id}.ts`).sort());
  for (const f of files) {
    const mod: { default: Scenario } = await import(`./${f}`);
    assert.equal(scenarios[f.replace(/\.ts$/, "")], mod.default, f);
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
