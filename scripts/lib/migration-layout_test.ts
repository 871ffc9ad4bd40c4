// The shape of our migrations and tests (scripts/lib/migration-layout.ts): the committed folders,
// and the check itself on temporary ones (it must fail for each way the shape can break).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CROSS_CUTTING_TESTS, layoutProblems } from "./migration-layout.ts";
import { supabaseDir } from "./paths.ts";

Deno.test("layout: every migration has its test file, every test file its migration", () => {
  const problems = layoutProblems(
    join(supabaseDir, "migrations"),
    join(supabaseDir, "tests", "database"),
  );
  assert.deepEqual(problems, [], problems.join("\n"));
});

/** Migrations and tests with these names and texts, in temporary folders removed after `fn`. */
function withLayout(
  migrations: Record<string, string>,
  tests: Record<string, string>,
  fn: (migrationsDir: string, testsDir: string) => void,
) {
  const dir = mkdtempSync(join(tmpdir(), "layout-"));
  try {
    const m = join(dir, "migrations");
    const t = join(dir, "tests");
    mkdirSync(m);
    mkdirSync(t);
    for (const [name, text] of Object.entries(migrations)) writeFileSync(join(m, name), text);
    for (const [name, text] of Object.entries(tests)) writeFileSync(join(t, name), text);
    fn(m, t);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = "-- Why this exists and what it owns.\nselect 1;\n";
const crossCutting = Object.fromEntries(
  Object.entries(CROSS_CUTTING_TESTS).map(([name, why]) => [
    `${name}.test.sql`,
    `-- Cross-cutting (no migration of its own): ${why}.\nbegin;\n`,
  ]),
);

Deno.test("layout: migrations and tests that mirror each other pass", () => {
  withLayout(
    { "20260101000000_lessons.sql": header, "20260101000100_progress.sql": header },
    { "lessons.test.sql": header, "progress.test.sql": header, ...crossCutting },
    (m, t) => assert.deepEqual(layoutProblems(m, t), []),
  );
});

Deno.test("layout: each way to break the shape is named", () => {
  withLayout(
    {
      "20260101000000_lessons.sql": header,
      "20260101000100_progress.sql": header, // no test file
      "20260101000200_lessons.sql": header, // a second lessons migration
      "20260101000300_quiet.sql": "create table t (id int);\n", // no header
      "2026_bad name.sql": header,
    },
    {
      "lessons.test.sql": header,
      "quiet.test.sql": header,
      "orphan.test.sql": header, // no migration, not cross-cutting
      "stray.sql": header,
      ...crossCutting,
      "seed.test.sql": "begin;\n", // cross-cutting without saying why
    },
    (m, t) => {
      const problems = layoutProblems(m, t);
      const expected = [
        /^2026_bad name\.sql: a migration is named/,
        /^20260101000200_lessons\.sql: the domain lessons has a migration already \(20260101000000_lessons\.sql\)/,
        /^20260101000300_quiet\.sql: opens with no prose header/,
        /^orphan\.test\.sql: no migration \*_orphan\.sql/,
        /^seed\.test\.sql: a cross-cutting test opens with/,
        /^stray\.sql: a test file is named <domain>\.test\.sql/,
        /^20260101000100_progress\.sql: has no tests\/database\/progress\.test\.sql/,
      ];
      assert.equal(problems.length, expected.length, problems.join("\n"));
      for (const re of expected) {
        assert.ok(
          problems.some((p) => re.test(p)),
          `no problem matches ${re}:\n${problems.join("\n")}`,
        );
      }
    },
  );
});
