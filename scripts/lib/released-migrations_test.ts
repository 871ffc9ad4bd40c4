// Released migrations are append-only: the committed list against supabase/migrations, and the
// check itself on temporary folders (it must fail for each way a release can be broken, even
// while our own list is still empty).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { supabaseDir } from "./paths.ts";
import {
  migrationSha256,
  parseReleased,
  release,
  RELEASED_LIST,
  releasedProblems,
} from "./released-migrations.ts";

Deno.test(`released migrations: supabase/migrations matches supabase/${RELEASED_LIST}`, () => {
  const list = readFileSync(join(supabaseDir, RELEASED_LIST), "utf8");
  const problems = releasedProblems(join(supabaseDir, "migrations"), list);
  assert.deepEqual(problems, [], problems.join("\n"));
});

// Each test writes its own folder, release and check: alike on purpose, so each case reads alone.
/** A migrations folder with these files (name → text), removed after `fn`. */
function withMigrations(files: Record<string, string>, fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), "migrations-"));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const a = "20260101000000_a.sql";
const b = "20260102000000_b.sql";
const c = "20260103000000_c.sql";

Deno.test("released migrations: an empty list accepts any migrations", () => {
  withMigrations({ [a]: "select 1;\n", [b]: "select 2;\n" }, (dir) => {
    assert.deepEqual(releasedProblems(dir, ""), []);
  });
});

Deno.test("released migrations: release lists every migration, in order, as sha256sum does", () => {
  withMigrations(
    { [b]: "select 2;\n", [a]: "select 1;\n", "README.md": "not a migration" },
    (dir) => {
      const { text, added } = release(dir, "");
      assert.deepEqual(added, [a, b]);
      assert.equal(
        text,
        `${migrationSha256(join(dir, a))}  migrations/${a}\n` +
          `${migrationSha256(join(dir, b))}  migrations/${b}\n`,
      );
      assert.equal(
        migrationSha256(join(dir, a)),
        "4a45092ccf992ea92250053a80b931b787924ba61648f420555511b84f10ab6c",
      );
      assert.deepEqual(releasedProblems(dir, text), []);
      // Released again with nothing new: the same list.
      assert.deepEqual(release(dir, text), { text, added: [] });
    },
  );
});

Deno.test("released migrations: a later migration is appended after the released ones", () => {
  withMigrations({ [a]: "select 1;\n" }, (dir) => {
    const first = release(dir, "").text;
    writeFileSync(join(dir, b), "select 2;\n");
    assert.deepEqual(releasedProblems(dir, first), []);
    const second = release(dir, first);
    assert.deepEqual(second.added, [b]);
    assert.ok(second.text.startsWith(first));
    assert.deepEqual(parseReleased(second.text).map((r) => r.file), [a, b]);
  });
});

Deno.test("released migrations: a changed released migration fails, naming it", () => {
  withMigrations({ [a]: "select 1;\n", [b]: "select 2;\n" }, (dir) => {
    const list = release(dir, "").text;
    writeFileSync(join(dir, b), "select 2; -- edited\n");
    const problems = releasedProblems(dir, list);
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`^${b} was released and has changed`));
    assert.throws(() => release(dir, list), new RegExp(b));
  });
});

Deno.test("released migrations: only line endings differing is no change", () => {
  withMigrations({ [a]: "select 1;\nselect 2;\n" }, (dir) => {
    const list = release(dir, "").text;
    writeFileSync(join(dir, a), "select 1;\r\nselect 2;\r\n");
    assert.deepEqual(releasedProblems(dir, list), []);
  });
});

Deno.test("released migrations: a deleted released migration fails, naming it", () => {
  withMigrations({ [a]: "select 1;\n", [b]: "select 2;\n" }, (dir) => {
    const list = release(dir, "").text;
    rmSync(join(dir, a));
    const problems = releasedProblems(dir, list);
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`^${a} was released and is gone`));
  });
});

Deno.test("released migrations: a renamed released migration fails, naming both files", () => {
  withMigrations({ [a]: "select 1;\n", [b]: "select 2;\n" }, (dir) => {
    const list = release(dir, "").text;
    renameSync(join(dir, a), join(dir, "20260101000000_renamed.sql"));
    assert.deepEqual(releasedProblems(dir, list), [
      `${a} was released and is gone (deleted or renamed): released migrations are append-only; ` +
      `restore it and put the change in a new migration.`,
      `20260101000000_renamed.sql is not released but sorts before the released ${b}: new ` +
      `migrations go after released ones; give it a later timestamp.`,
    ]);
  });
});

Deno.test("released migrations: a new migration that sorts before a released one fails, naming it", () => {
  withMigrations({ [a]: "select 1;\n", [c]: "select 3;\n" }, (dir) => {
    const list = release(dir, "").text;
    writeFileSync(join(dir, b), "select 2;\n");
    const problems = releasedProblems(dir, list);
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      new RegExp(`^${b} is not released but sorts before the released ${c}`),
    );
    assert.throws(() => release(dir, list), new RegExp(b));
  });
});

Deno.test("released migrations: a malformed or duplicated line fails, with its line or file", () => {
  withMigrations({ [a]: "select 1;\n" }, (dir) => {
    const line = release(dir, "").text;
    assert.match(releasedProblems(dir, line + line)[0], new RegExp(`^${a} is listed twice`));
    assert.throws(
      () => releasedProblems(dir, `${line}not a checksum  migrations/${b}\n`),
      new RegExp(`^Error: ${RELEASED_LIST.replace(".", "\\.")}:2: expected`),
    );
    assert.throws(() => parseReleased(`${"0".repeat(64)}  ${a}\n`), /:1: expected/);
  });
});
