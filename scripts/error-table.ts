// The error table of docs/API.md, generated from the code that raises the errors: every
// `raise exception` in supabase/migrations (its SQLSTATE, its machine code in `detail`, its
// message, the SQL function or trigger it is in) and every error an edge function answers
// (`new HttpError(status, "code", "message")`, literal `errorResponse(status, "code", ...)`, and
// the other literal code/status pairs in supabase/functions, `_shared/` included; tests excluded).
//
//   npm run docs:errors            rewrites the blocks between the marker comments in docs/API.md
//   npm run docs:errors -- --check exits 1 when docs/API.md differs from what it would write
//
// It refuses (exit 1, naming file:line, writing nothing): a raise without a literal machine code in
// `detail` (a literal, or a `case` of literals) or without a literal `errcode`; a raise it can't
// read; a machine code raised with two SQLSTATEs; a SQLSTATE whose meaning it doesn't know; an
// HttpError whose status or code is not a literal; an error code that isn't snake_case; and an
// errors table or recipe in docs/API.md naming a code nothing raises. scripts/error-table_test.ts
// runs it in `npm test`, and fails when the committed table differs from what it would write.
import { join, relative } from "node:path";
import {
  functionAttribution,
  type FunctionError,
  httpErrorClasses,
  parseFunctionSource,
} from "./lib/function-errors.ts";
import { root } from "./lib/paths.ts";
import { sqlStateHttpStatus } from "../supabase/functions/_shared/http.ts";
import { parseSql, type Problem, type SqlParse, type SqlRaise } from "./lib/sql-errors.ts";

// ------------------------------------------------------------------------- collect it all

export interface Model {
  sql: SqlParse;
  functionErrors: FunctionError[];
  functionNames: string[];
  problems: Problem[];
}

const isTestPath = (rel: string) =>
  /(^|\/)tests?\//.test(rel) || /_test\.ts$/.test(rel) || rel.startsWith("_shared/testing/") ||
  rel.endsWith("database.types.ts");

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...walk(path));
    else out.push(path);
  }
  return out.sort();
}

/** Reads the migrations and the functions under `base` (the repository root). */
export function collect(base = root): Model {
  const migrations = join(base, "supabase", "migrations");
  const sql: SqlParse = {
    raises: [],
    functions: [],
    triggers: [],
    constraintStates: new Set(),
    identifiers: new Set(),
    problems: [],
  };
  for (const path of walk(migrations).filter((p) => p.endsWith(".sql"))) {
    const parsed = parseSql(Deno.readTextFileSync(path), relative(base, path));
    sql.raises.push(...parsed.raises);
    sql.functions.push(...parsed.functions);
    sql.triggers.push(...parsed.triggers);
    parsed.constraintStates.forEach((s) => sql.constraintStates.add(s));
    parsed.identifiers.forEach((s) => sql.identifiers.add(s));
    sql.problems.push(...parsed.problems);
  }

  const fnDir = join(base, "supabase", "functions");
  const sources = walk(fnDir)
    .filter((p) => p.endsWith(".ts"))
    .map((p) => ({
      rel: relative(fnDir, p),
      file: relative(base, p),
      text: Deno.readTextFileSync(p),
    }))
    .filter((s) => !isTestPath(s.rel));
  const classes = httpErrorClasses(sources);
  const parsed = new Map(sources.map((s) => [s.rel, parseFunctionSource(s.text, s.rel, classes)]));
  const problems = [...sql.problems];
  for (const s of sources) {
    problems.push(...parsed.get(s.rel)!.problems.map((e) => ({ ...e, file: s.file })));
  }
  const functionNames = [...new Set(sources.map((s) => s.rel.split("/")[0]))]
    .filter((d) => d !== "_shared" && sources.some((s) => s.rel === `${d}/index.ts`))
    .sort();
  const attribute = functionAttribution(parsed, functionNames);
  const functionErrors: FunctionError[] = [];
  for (const s of sources) {
    for (const e of parsed.get(s.rel)!.errors) {
      functionErrors.push({ ...e, file: s.file, functions: attribute(e) });
    }
  }

  problems.push(...checkRaises(sql.raises), ...checkFunctionCodes(functionErrors, sql.raises));
  return { sql, functionErrors, functionNames, problems };
}

/**
 * A function's own code that is also a database machine code must mean the same to a frontend:
 * functions answer database errors with their machine code at the status PostgREST gives the
 * SQLSTATE, so the function's own use must answer that status too (e.g. `no_meeting`, 404 both
 * ways). Otherwise one code would carry two statuses.
 */
export function checkFunctionCodes(errors: FunctionError[], raises: SqlRaise[]): Problem[] {
  const raised = new Map<string, SqlRaise>();
  for (const r of raises) for (const code of r.codes) if (!raised.has(code)) raised.set(code, r);
  return errors.flatMap((e) => {
    const r = raised.get(e.code);
    if (!r) return [];
    const status = sqlStateHttpStatus(r.sqlstate);
    const same = e.status === status || (r.sqlstate === "42501" && e.status === 401);
    return same ? [] : [{
      file: e.file,
      line: e.line,
      message: `${e.code} answers ${e.status} here but is a database machine code answered ` +
        `${status ?? 500} (${r.sqlstate}, ${r.file}:${r.line}): one code, one status; rename one`,
    }];
  });
}

export function checkRaises(raises: SqlRaise[]): Problem[] {
  const problems: Problem[] = [];
  const firstUse = new Map<string, SqlRaise>();
  for (const r of raises) {
    for (const code of r.codes) {
      const first = firstUse.get(code);
      if (!first) firstUse.set(code, r);
      else if (first.sqlstate !== r.sqlstate) {
        problems.push({
          file: r.file,
          line: r.line,
          message: `machine code ${code} is raised with ${r.sqlstate} here and with ` +
            `${first.sqlstate} at ${first.file}:${first.line}: one code, one SQLSTATE`,
        });
      }
    }
    if (!sqlState.has(r.sqlstate)) {
      problems.push({
        file: r.file,
        line: r.line,
        message:
          `SQLSTATE ${r.sqlstate} has no meaning in scripts/error-table.ts (sqlStates): add it`,
      });
    }
  }
  return problems;
}

// -------------------------------------------------------------------------------- render

/** What each SQLSTATE means to a frontend, and the HTTP status PostgREST answers it with. */
const sqlStates: [string, { meaning: string; http: string }][] = [
  ["42501", {
    meaning: "not allowed: not signed in, wrong role, someone else's row, a non-editable column",
    http: "401 (anon key), 403 (signed in)",
  }],
  ["PT404", { meaning: "not found: it does not exist, or you may not see it", http: "404" }],
  ["P0002", { meaning: "not found (Postgres' own; we raise PT404)", http: "404" }],
  ["22023", { meaning: "an argument is invalid (the message says which)", http: "400" }],
  ["23514", {
    meaning: "a value breaks a rule (length, format); the constraint is named",
    http: "400",
  }],
  ["23502", { meaning: "a required value is missing; the column is named", http: "400" }],
  ["23505", { meaning: "already exists (the constraint is named)", http: "409" }],
  ["PT409", { meaning: "conflicts with the current state", http: "409" }],
  ["23503", {
    meaning: "still in use, or refers to something that is gone (e.g. a category with children)",
    http: "409",
  }],
  ["PT429", { meaning: "too many requests: slow down", http: "429" }],
  ["P0001", {
    meaning: "a business rule said no (the message and `details` explain)",
    http: "400",
  }],
];
const sqlState = new Map(sqlStates);

/** The first `max` items, then how many more. */
const shortList = (items: string[], max: number) =>
  items.length > max
    ? `${items.slice(0, max).join(", ")} (and ${items.length - max} more)`
    : items.join(", ");

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const tick = (s: string) => "`" + s + "`";

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** Where frontends meet a SQL function: itself (an RPC), or the RPCs and triggers that reach it. */
function entryPoints(model: Model, fn: string): string[] {
  const { functions, triggers } = model.sql;
  const callers = new Map<string, Set<string>>();
  for (const f of functions) {
    for (const c of f.calls) {
      if (!callers.has(c)) callers.set(c, new Set());
      callers.get(c)!.add(f.name);
    }
  }
  const seen = new Set<string>([fn]);
  const queue = [fn];
  while (queue.length > 0) {
    for (const c of callers.get(queue.pop()!) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        queue.push(c);
      }
    }
  }
  const rpcs = [...seen].filter((n) => n.startsWith("public.") && n !== fn)
    .map((n) => tick(n.slice("public.".length)));
  const writes = triggers.filter((t) => seen.has(t.fn))
    .map((t) => `${tick(t.table.replace(/^public\./, ""))} ${[...new Set(t.events)].join("/")}`);
  return [...new Set([...writes.sort(), ...rpcs.sort()])];
}

function whereRaised(model: Model, fn: string | null, file: string): string {
  if (!fn) return tick(file);
  const name = fn.startsWith("public.") ? fn.slice("public.".length) : fn;
  const via = entryPoints(model, fn);
  const max = 6;
  if (via.length === 0) return tick(name);
  const shown = via.length > max ? [...via.slice(0, max), `${via.length - max} more`] : via;
  return `${tick(name)} (${fn.startsWith("public.") ? "also via" : "via"} ${shown.join(", ")})`;
}

/** The SQLSTATE table: what we raise, plus what constraints raise, plus PostgREST's 406. */
function renderSqlStates(model: Model): string {
  const raised = new Set(model.sql.raises.map((r) => r.sqlstate));
  const rows = sqlStates
    .filter(([s]) => raised.has(s) || model.sql.constraintStates.has(s))
    .map(([s, { meaning, http }]) => [tick(s), meaning, http]);
  rows.push([tick("PGRST116"), "PostgREST's own: `.single()` found no row (or several)", "406"]);
  return table(["`error.code`", "meaning", "HTTP (PostgREST)"], rows);
}

/** Every machine code in `detail`, and every code an edge function answers. */
function renderCodes(model: Model): string {
  const byCode = new Map<string, SqlRaise[]>();
  for (const r of model.sql.raises) {
    for (const code of r.codes) byCode.set(code, [...(byCode.get(code) ?? []), r]);
  }
  const sqlRows = [...byCode.keys()].sort().map((code) => {
    const raises = byCode.get(code)!;
    const state = raises[0].sqlstate;
    const messages = [...new Set(raises.map((r) => r.message))].map(tick).join(", ");
    const where = [...new Set(raises.map((r) => whereRaised(model, r.fn, r.file)))].sort().join(
      "; ",
    );
    return [
      tick(code),
      tick(state),
      sqlState.get(state)?.http.replace(/ \(.*?\)/g, "") ?? "",
      messages,
      where,
    ];
  });

  const all = model.functionNames;
  const byFnCode = new Map<string, FunctionError[]>();
  for (const e of model.functionErrors) byFnCode.set(e.code, [...(byFnCode.get(e.code) ?? []), e]);
  const fnRows = [...byFnCode.keys()].sort().map((code) => {
    const errors = byFnCode.get(code)!;
    const statuses = [...new Set(errors.map((e) => e.status))].sort().join(", ");
    const messages = shortList([...new Set(errors.map((e) => e.message))].map(tick), 3);
    const names = new Set<string>();
    for (const e of errors) (e.functions ?? []).forEach((n) => names.add(n));
    const where = names.size === all.length && all.length > 1
      ? "every function"
      : [...names].sort().map(tick).join(", ");
    return [tick(code), statuses, messages, where];
  });

  return [
    "Tables and RPCs: `error.details`, with its `error.code` (SQLSTATE) and the HTTP status " +
    "PostgREST answers.",
    "",
    table(["`error.details`", "`error.code`", "HTTP", "message", "raised in"], sqlRows),
    "",
    "Edge functions: their own codes, in `error.code`, and the functions that can answer each.",
    "",
    table(["`error.code`", "HTTP", "message", "function"], fnRows),
  ].join("\n");
}

// ----------------------------------------------------------------------------- the doc

export const apiDoc = join(root, "docs", "API.md");

/** `doc` with each marked block replaced by its content; throws when a marker is missing. */
export function replaceBlocks(doc: string, content: Record<string, string>): string {
  let out = doc;
  for (const [name, body] of Object.entries(content)) {
    const begin = `<!-- ${name}:begin -->`;
    const end = `<!-- ${name}:end -->`;
    const b = out.indexOf(begin);
    const e = out.indexOf(end);
    if (b < 0 || e < b) throw new Error(`docs/API.md has no ${begin} ... ${end} block`);
    out = out.slice(0, b + begin.length) + "\n\n" + body.trim() + "\n\n" + out.slice(e);
  }
  return out;
}

/** Formats markdown the way `deno fmt` does with the repository's settings. */
async function formatMarkdown(md: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(md));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/** docs/API.md as the generator would write it, and what it refuses. */
export async function expectedApiDoc(
  doc = Deno.readTextFileSync(apiDoc),
  base = root,
): Promise<{ doc: string; problems: Problem[]; model: Model }> {
  const model = collect(base);
  const next = replaceBlocks(doc, {
    "errors:sqlstates": renderSqlStates(model),
    "errors:codes": renderCodes(model),
  });
  return {
    doc: await formatMarkdown(next),
    problems: [...model.problems, ...unknownCodes(next, model)],
    model,
  };
}

/**
 * Error codes the hand-written parts of docs/API.md name that the code never raises: backticked
 * snake_case words in the rows of tables whose header mentions errors, and the strings recipes
 * compare `details` with. Words the schema uses (columns, constraints, tables, RPCs) are not codes.
 */
export function unknownCodes(doc: string, model: Model): Problem[] {
  const known = new Set([
    ...model.sql.raises.flatMap((r) => r.codes),
    ...model.functionErrors.map((e) => e.code),
  ]);
  const isSchemaWord = (w: string) =>
    model.sql.identifiers.has(w) || /_(p|f)?key$/.test(w) || /_check$/.test(w);
  const problems: Problem[] = [];
  const report = (line: number, word: string, how: string) => {
    if (!known.has(word) && !isSchemaWord(word)) {
      problems.push({
        file: "docs/API.md",
        line,
        message: `${how} names \`${word}\`, which no migration or function raises`,
      });
    }
  };
  let header = "";
  let generated = false;
  doc.split("\n").forEach((line, i) => {
    if (/<!-- errors:\w+:begin -->/.test(line)) generated = true;
    if (/<!-- errors:\w+:end -->/.test(line)) generated = false;
    if (generated) return;
    for (const m of line.matchAll(/details\s*===?\s*["']([a-z0-9_]+)["']/g)) {
      report(i + 1, m[1], "a recipe");
    }
    if (!line.startsWith("|")) {
      header = "";
      return;
    }
    if (!header) {
      header = line;
      return;
    }
    if (!/error/i.test(header)) return;
    for (const m of line.matchAll(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g)) {
      report(i + 1, m[1], "an errors table");
    }
  });
  return problems;
}

export const formatProblems = (problems: Problem[]) =>
  problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join("\n");

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const current = Deno.readTextFileSync(apiDoc);
  const { doc, problems, model } = await expectedApiDoc(current);
  if (problems.length > 0) {
    console.error(formatProblems(problems));
    console.error(`error-table: ${problems.length} problem(s); docs/API.md left as it was.`);
    Deno.exit(1);
  }
  const codes = new Set(model.sql.raises.flatMap((r) => r.codes));
  const summary = `${model.sql.raises.length} raises, ${codes.size} machine codes; ` +
    `${new Set(model.functionErrors.map((e) => e.code)).size} edge-function codes`;
  if (check) {
    if (doc !== current) {
      console.error("docs/API.md's error table is out of date: run `npm run docs:errors`.");
      Deno.exit(1);
    }
    console.log(`docs/API.md's error table is up to date (${summary}).`);
  } else if (doc !== current) {
    Deno.writeTextFileSync(apiDoc, doc);
    console.log(`docs/API.md: error table written (${summary}).`);
  } else {
    console.log(`docs/API.md: error table already up to date (${summary}).`);
  }
}
