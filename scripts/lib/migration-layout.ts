// The shape of supabase/migrations and supabase/tests/database: one migration per concern, named
// `<14-digit timestamp>_<domain>.sql`, each opening with a prose header (why it exists and what it
// owns); and tests that mirror them: `<domain>.test.sql` for every migration's domain, and no test
// file without its migration but the cross-cutting ones named below, each of which says so in its
// first line. (The order the migrations build in is checked by migration-order.ts.)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Test files with no migration of their own, and why (each one's first line says it too). */
export const CROSS_CUTTING_TESTS: Record<string, string> = {
  "00_platform": "the platform under every migration",
  "01_security": "rules over the whole schema, whichever migration wrote it",
  "api_returning": "the docs/API.md recipes, which write across domains",
  "seed": "supabase/seed.sql, which fills every domain",
};

const MIGRATION = /^(\d{14})_([a-z][a-z0-9_]*)\.sql$/;
const TEST = /^(.+)\.test\.sql$/;
const CROSS_CUTTING_HEADER = "-- Cross-cutting (no migration of its own): ";

const firstLine = (path: string) => readFileSync(path, "utf8").split("\n", 1)[0];

/** One sentence per way the two folders break the shape; none when they keep it. */
export function layoutProblems(migrationsDir: string, testsDir: string): string[] {
  const problems: string[] = [];
  const domains = new Map<string, string>();
  for (const file of readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).sort()) {
    const m = file.match(MIGRATION);
    if (!m) {
      problems.push(
        `${file}: a migration is named <14-digit timestamp>_<domain>.sql (a-z, 0-9, _)`,
      );
      continue;
    }
    const domain = m[2];
    const other = domains.get(domain);
    if (other) problems.push(`${file}: the domain ${domain} has a migration already (${other})`);
    else domains.set(domain, file);
    if (!firstLine(join(migrationsDir, file)).startsWith("-- ")) {
      problems.push(
        `${file}: opens with no prose header (a comment saying why it exists and what it owns)`,
      );
    }
  }
  const tests = new Set<string>();
  for (const file of readdirSync(testsDir).filter((f) => f.endsWith(".sql")).sort()) {
    const m = file.match(TEST);
    if (!m) {
      problems.push(`${file}: a test file is named <domain>.test.sql`);
      continue;
    }
    const name = m[1];
    tests.add(name);
    const header = firstLine(join(testsDir, file));
    if (name in CROSS_CUTTING_TESTS) {
      if (domains.has(name)) {
        problems.push(
          `${file}: is listed as cross-cutting, but ${domains.get(name)} is its migration`,
        );
      } else if (!header.startsWith(CROSS_CUTTING_HEADER)) {
        problems.push(`${file}: a cross-cutting test opens with "${CROSS_CUTTING_HEADER}<why>"`);
      }
    } else if (!domains.has(name)) {
      problems.push(
        `${file}: no migration *_${name}.sql; tests mirror the migrations (or list it in ` +
          `CROSS_CUTTING_TESTS, scripts/lib/migration-layout.ts, and say why in its first line)`,
      );
    } else if (!header.startsWith("-- ")) {
      problems.push(`${file}: opens with no comment saying what it tests`);
    }
  }
  for (const [domain, file] of domains) {
    if (!tests.has(domain)) {
      problems.push(
        `${file}: has no tests/database/${domain}.test.sql (tests mirror the migrations)`,
      );
    }
  }
  for (const name of Object.keys(CROSS_CUTTING_TESTS)) {
    if (!tests.has(name)) problems.push(`${name}.test.sql: is listed as cross-cutting but is gone`);
  }
  return problems;
}
