// Every pgTAP file under supabase/tests keeps the rules scripts/lib/pgtap-style.ts checks: each
// throws_ok names the SQLSTATE and the exact message (a null message accepts any error of that
// code), no ok(true) or pass() stands in for an assertion, and no throws_like-style call replaces
// a throws_ok. A failure names file:line for each call to fix.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { checkPgTap, findCalls } from "./lib/pgtap-style.ts";
import { root, supabaseDir } from "./lib/paths.ts";

function sqlFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...sqlFiles(path));
    else if (entry.isFile && entry.name.endsWith(".sql")) files.push(path);
  }
  return files.sort();
}

const testsDir = join(supabaseDir, "tests");
const files = sqlFiles(testsDir);

Deno.test("pgtap style: every throws_ok names its SQLSTATE and message; no ok(true) or pass()", () => {
  assert.ok(files.length > 0, `no .sql files under ${testsDir}`);
  const problems = files.flatMap((file) =>
    checkPgTap(Deno.readTextFileSync(file)).map((p) =>
      `${relative(root, file)}:${p.line}: ${p.message}`
    )
  );
  assert.deepEqual(problems, [], `\n${problems.join("\n")}\n`);
});

Deno.test("pgtap style: the check reads the calls it guards (the test files hold throws_ok calls)", () => {
  // A parser that found no calls at all would pass the check above on any file.
  const calls = files.flatMap((file) => findCalls(Deno.readTextFileSync(file)));
  assert.ok(
    calls.filter((c) => c.name === "throws_ok").length >= 100,
    "fewer than 100 throws_ok calls found",
  );
  assert.ok(calls.some((c) => c.name === "ok"), "no ok() call found");
});
