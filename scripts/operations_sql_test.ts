// docs/OPERATIONS.md against the test database: every ```sql block an operator is told to run
// runs (as postgres, as on a project; each in its own transaction, rolled back), but those marked
// `<!-- sql: hosted only -->` (Vault, pg_net), and the RPCs it sends to read replicas are exactly
// the stable ones clients may call. The lists it takes from the code are checked in
// function_docs_test.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../supabase/functions/_shared/db.ts";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";
import { markedList, sqlBlocks } from "./lib/function-docs.ts";
import { root } from "./lib/paths.ts";

const guide = () => readFileSync(join(root, "docs", "OPERATIONS.md"), "utf8");

Deno.test("docs/OPERATIONS.md: every SQL block runs as postgres (but those marked hosted only)", async () => {
  const blocks = sqlBlocks(guide());
  assert.ok(blocks.filter((b) => !b.hostedOnly).length >= 15, "the guide's SQL blocks were found");
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  const failures: string[] = [];
  try {
    for (const block of blocks.filter((b) => !b.hostedOnly)) {
      try {
        await sql.begin(async (tx) => {
          await tx`set local role postgres`;
          // Every Supabase project has pg_stat_statements in extensions; the test database may not.
          if (/\bpg_stat_statements\b/.test(block.sql)) {
            await tx`create extension if not exists pg_stat_statements with schema extensions`;
          }
          await tx.unsafe(block.sql).simple();
          throw new RolledBack();
        });
      } catch (e) {
        if (!(e instanceof RolledBack)) {
          failures.push(`OPERATIONS.md line ${block.line}: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    await sql.end();
  }
  assert.deepEqual(failures, []);
});

class RolledBack extends Error {}

Deno.test("docs/OPERATIONS.md: the RPCs for read replicas are the stable ones clients may call", async () => {
  const sql = connect(env("SUPABASE_DB_URL"), { max: 1 });
  try {
    const rows = await sql<{ proname: string }[]>`
      select distinct p.proname from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prokind = 'f' and p.provolatile in ('s', 'i')
        and p.prorettype <> 'trigger'::regtype
        and (has_function_privilege('anon', p.oid, 'execute')
             or has_function_privilege('authenticated', p.oid, 'execute'))
      order by 1`;
    const stable = rows.map((r) => r.proname);
    assert.ok(stable.includes("search_courses"), "the stable RPCs were read");
    const listed = markedList(guide(), "replica-rpcs");
    const missing = stable.filter((n) => !listed.includes(n));
    const extra = listed.filter((n) => !stable.includes(n));
    const twice = listed.filter((n, i) => listed.indexOf(n) !== i);
    assert.deepEqual({ missing, extra, twice }, { missing: [], extra: [], twice: [] });
  } finally {
    await sql.end();
  }
});
