// Build order: no migration uses an object that a later migration creates.
//
// Postgres checks most of that itself when a migration runs: a table's foreign keys and defaults,
// a policy's expression, a trigger's function and a SQL function's body must name objects that
// exist. A PL/pgSQL body is not checked at creation, so a function may read a table that only a
// later file creates: every migration still applies, the function fails at its first call on a
// database stopped halfway, and a reader of the file can't find what it names before it. So the
// migrations are applied one at a time to a fresh database, and after each file plpgsql_check
// (the checker `supabase db lint` runs) checks every PL/pgSQL function the file created or
// replaced, a trigger function with the table of each of its triggers, and the function of every
// trigger the file created on an earlier table. An error that is gone once every file has run is
// a problem: the file, the function, and what it names that does not exist yet. (An error that
// stays at the end is no matter of order: `supabase db lint` judges those.) A trigger function no
// trigger uses by the end of its file is a problem too: its body can't be checked without its
// table.
import { basename } from "node:path";
import { psql } from "./postgres.ts";
import { CommandError } from "./proc.ts";

/** The database to build: `deployUrl` applies the migrations (as a deployer would), `adminUrl` checks. */
export interface OrderTarget {
  deployUrl: string;
  adminUrl: string;
}

// Created once, before the first file, in a schema no migration touches. `seen_*` remember the
// functions (with their row version: CREATE OR REPLACE and ALTER make a new one) and triggers
// that were already checked.
const setupSql = `
create schema build_order;
create extension plpgsql_check with schema build_order;
create table build_order.seen_functions (oid oid primary key, version text not null);
create table build_order.seen_triggers (oid oid primary key);
insert into build_order.seen_functions select oid, xmin::text from pg_catalog.pg_proc;
insert into build_order.seen_triggers select oid from pg_catalog.pg_trigger;
`;

// What the last file changed, checked: one row a problem (kind, function, table or '', line,
// message; kind E for an error, T for a trigger function without a trigger); then everything
// there is now counts as seen.
const checkSql = `
set search_path = pg_catalog; -- so that names print with their schema
with changed as (
  select p.oid, p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype as is_trigger
  from pg_catalog.pg_proc p join pg_catalog.pg_language l on l.oid = p.prolang
  where l.lanname = 'plpgsql' and p.prorettype <> 'pg_catalog.event_trigger'::pg_catalog.regtype
    and not exists (select 1 from build_order.seen_functions s where s.oid = p.oid and s.version = p.xmin::text)
), targets as (
  select c.oid as fn, 0::oid as rel from changed c where not c.is_trigger
  union
  select c.oid, t.tgrelid from changed c join pg_catalog.pg_trigger t on t.tgfoid = c.oid and not t.tgisinternal
  union
  select t.tgfoid, t.tgrelid from pg_catalog.pg_trigger t
  join pg_catalog.pg_proc p on p.oid = t.tgfoid join pg_catalog.pg_language l on l.oid = p.prolang
  where not t.tgisinternal and l.lanname = 'plpgsql'
    and not exists (select 1 from build_order.seen_triggers s where s.oid = t.oid)
), problems as (
  select 'E' as kind, t.fn::pg_catalog.regprocedure::text as fn, coalesce(nullif(t.rel, 0)::pg_catalog.regclass::text, '') as rel,
         r.lineno, r.message
  from targets t
  cross join lateral build_order.plpgsql_check_function_tb(t.fn, t.rel, fatal_errors => false) r
  where r.level = 'error'
  union all
  select 'T', c.oid::pg_catalog.regprocedure::text, '', null,
         'is a trigger function that no trigger uses yet, so its body could not be checked: create its trigger in the same file'
  from changed c
  where c.is_trigger and not exists (select 1 from pg_catalog.pg_trigger t where t.tgfoid = c.oid)
)
select pg_catalog.concat_ws(E'\\t', kind, fn, rel, coalesce(lineno::text, ''), message)
from problems order by fn, rel, lineno;
insert into build_order.seen_functions select oid, xmin::text from pg_catalog.pg_proc
on conflict (oid) do update set version = excluded.version;
insert into build_order.seen_triggers select oid from pg_catalog.pg_trigger on conflict do nothing;
`;

interface Found {
  kind: string;
  file: string;
  fn: string;
  rel: string;
  line: string;
  message: string;
}

function parse(file: string, row: string): Found {
  const [kind, fn, rel, line, ...message] = row.split("\t");
  return { kind, file, fn, rel, line, message: message.join("\t") };
}

/** "file: function [(trigger on table)]: line N: message". */
function describe(f: Found): string {
  const where = f.rel ? `${f.fn} (trigger on ${f.rel})` : f.fn;
  return `${f.file}: ${where}: ${f.line ? `line ${f.line}: ` : ""}${f.message}`;
}

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The errors plpgsql_check finds now in these functions (with their trigger tables). */
async function errorsNow(adminUrl: string, found: Found[]): Promise<Set<string>> {
  const pairs = [...new Set(found.map((f) => `(${sqlText(f.fn)}, ${sqlText(f.rel)})`))];
  if (pairs.length === 0) return new Set();
  const rows = await psql(adminUrl, {
    sql: `set search_path = pg_catalog;
          select pg_catalog.concat_ws(E'\\t', p.fn, p.rel, coalesce(r.lineno::text, ''), r.message)
          from (values ${pairs.join(", ")}) p (fn, rel)
          cross join lateral build_order.plpgsql_check_function_tb(p.fn::pg_catalog.regprocedure,
            coalesce(nullif(p.rel, '')::pg_catalog.regclass, 0), fatal_errors => false) r
          where r.level = 'error'`,
  }, ["-t", "-A"]);
  return new Set(rows.split("\n").filter((r) => r.trim() !== ""));
}

/**
 * Applies `files` in order to a database that has none of them yet (the platform only), and
 * returns one sentence per problem, in file order. A file that does not apply is a problem too,
 * and the last one: the files after it are not tried.
 */
export async function buildOrderProblems(target: OrderTarget, files: string[]): Promise<string[]> {
  await psql(target.adminUrl, { sql: setupSql });
  const found: Found[] = [];
  let failed: string | undefined;
  for (const path of files) {
    const file = basename(path);
    try {
      await psql(target.deployUrl, { file: path }, ["-1"]);
    } catch (e) {
      const output = e instanceof CommandError ? e.result.stderr : String(e);
      const error = output.slice(Math.max(0, output.indexOf("ERROR:"))).trim();
      failed = `${file}: does not apply on the files before it: ${error}`;
      break;
    }
    const rows = await psql(target.adminUrl, { sql: checkSql }, ["-t", "-A"]);
    for (const row of rows.split("\n").filter((r) => r.trim() !== "")) found.push(parse(file, row));
  }
  // An error still there with every file applied is about the function itself, not the order.
  const errors = found.filter((f) => f.kind === "E");
  const atTheEnd = failed ? new Set<string>() : await errorsNow(target.adminUrl, errors);
  const problems = found
    .filter((f) => f.kind !== "E" || !atTheEnd.has([f.fn, f.rel, f.line, f.message].join("\t")))
    .map(describe);
  return failed ? [...problems, failed] : problems;
}
