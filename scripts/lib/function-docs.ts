// Docs and shape checked against the functions' code (scripts/function_docs_test.ts runs these on
// the repository in npm test; function-docs_test.ts shows each one failing on small inputs):
// - .env.example's function secrets are exactly what the functions' env schemas read;
// - the README's list of Stripe events to enable is handledStripeEvents, and so are the events
//   the migrations apply;
// - docs/OPERATIONS.md's lists (functions, Stripe and Zoom events, cron jobs) are the code's, and
//   its SQL blocks are what scripts/operations_sql_test.ts runs;
// - a function imports only _shared/ and its own folder, and reads env only through its schema.
import { posix } from "node:path";

// ------------------------------------------------------------------------------------ env

/**
 * The rule for .env.example: its "Edge function secrets" section assigns (`NAME=value`, or
 * `# NAME=value` for an optional one) every variable a function's env schema reads, and nothing
 * else. Names starting with SUPABASE_ are the platform's (Supabase reserves them: they can't be
 * set as secrets), so they are never assigned there; each one a function reads is named in the
 * section's prose instead.
 */
const isPlatformVariable = (name: string) => name.startsWith("SUPABASE_");

/** A section of .env.example: a banner (`# ----` lines around its title) and what follows. */
export interface EnvSection {
  title: string;
  text: string;
}

const bannerLine = /^# -{10,}\s*$/;

/** .env.example cut into its banner-titled sections. */
export function envSections(text: string): EnvSection[] {
  const sections: EnvSection[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!bannerLine.test(lines[i])) continue;
    const end = lines.findIndex((l, j) => j > i && bannerLine.test(l));
    if (end < 0) break;
    const title = lines.slice(i + 1, end).map((l) => l.replace(/^#\s?/, "")).join(" ").trim();
    const next = lines.findIndex((l, j) => j > end && bannerLine.test(l));
    const body = lines.slice(i + 1, next < 0 ? lines.length : next);
    sections.push({ title, text: body.join("\n") });
    i = end;
  }
  return sections;
}

/** The variables a dotenv text assigns, commented-out assignments (`# NAME=...`) included. */
export function assignedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^#?\s*([A-Z][A-Z0-9_]*)=/);
    if (m) names.add(m[1]);
  }
  return [...names];
}

/**
 * What is wrong with a function-secrets section, given the variables each function reads
 * (function name -> its env schema's keys). Empty when it follows the rule above.
 */
export function envProblems(section: string, read: Record<string, string[]>): string[] {
  const readers = new Map<string, string[]>();
  for (const [fn, names] of Object.entries(read)) {
    for (const name of names) readers.set(name, [...(readers.get(name) ?? []), fn]);
  }
  const assigned = new Set(assignedVariables(section));
  const problems: string[] = [];
  for (const [name, fns] of [...readers].sort(([a], [b]) => a.localeCompare(b))) {
    const by = `read by ${fns.join(", ")}`;
    if (!isPlatformVariable(name) && !assigned.has(name)) {
      problems.push(`${name} (${by}) is not documented in .env.example`);
    }
    if (isPlatformVariable(name) && !new RegExp(`\\b${name}\\b`).test(section)) {
      problems.push(`${name} (${by}) is not named among the platform's variables in .env.example`);
    }
  }
  for (const name of [...assigned].sort()) {
    if (isPlatformVariable(name)) {
      problems.push(`${name} is assigned in .env.example, but SUPABASE_ names are the platform's`);
    } else if (!readers.has(name)) {
      problems.push(`${name} is documented in .env.example, but no function reads it`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------- lists in docs

/** The `code` spans between `<!-- name -->` and `<!-- /name -->` in a Markdown text. */
export function markedList(markdown: string, name: string): string[] {
  const m = markdown.match(new RegExp(`<!-- ${name} -->([\\s\\S]*?)<!-- /${name} -->`));
  if (!m) throw new Error(`no <!-- ${name} --> ... <!-- /${name} --> markers`);
  return [...m[1].matchAll(/`([^`]+)`/g)].map((c) => c[1]);
}

/** How `found` (in `where`) differs from `expected`: missing, extra and repeated items. */
export function listProblems(
  found: string[],
  expected: readonly string[],
  where: string,
): string[] {
  const problems: string[] = [];
  for (const item of expected) {
    if (!found.includes(item)) problems.push(`${where} lacks ${item}`);
  }
  for (const [i, item] of found.entries()) {
    if (!expected.includes(item)) problems.push(`${where} has ${item}, which is not handled`);
    else if (found.indexOf(item) !== i) problems.push(`${where} lists ${item} twice`);
  }
  return problems;
}

/** Stripe's event types quoted in SQL ('checkout.session.completed', 'invoice.paid', ...). */
export function sqlStripeEvents(sql: string): string[] {
  const family =
    "checkout\\.session|charge\\.dispute|charge|customer\\.subscription|customer|invoice|payment_intent|refund";
  const events = new Set<string>();
  for (const m of sql.matchAll(new RegExp(`'((?:${family})\\.[a-z_]+)'`, "g"))) events.add(m[1]);
  return [...events].sort();
}

/** The names of the pg_cron jobs SQL schedules: `cron.schedule('<name>', ...)`. */
export function sqlCronJobs(sql: string): string[] {
  const jobs = new Set<string>();
  for (const m of sql.matchAll(/\bcron\.schedule\(\s*'([^']+)'\s*,/g)) jobs.add(m[1]);
  return [...jobs].sort();
}

/** A ```sql block of a Markdown text: its SQL, and whether `<!-- sql: hosted only -->` marks it. */
export interface SqlBlock {
  sql: string;
  hostedOnly: boolean;
  line: number;
}

/** Every ```sql block of a Markdown text, in order. */
export function sqlBlocks(markdown: string): SqlBlock[] {
  const blocks: SqlBlock[] = [];
  for (const m of markdown.matchAll(/^```sql\n([\s\S]*?)^```$/gm)) {
    const before = markdown.slice(0, m.index).trimEnd();
    blocks.push({
      sql: m[1],
      hostedOnly: before.endsWith("<!-- sql: hosted only -->"),
      line: markdown.slice(0, m.index).split("\n").length,
    });
  }
  return blocks;
}

// ------------------------------------------------------------------------------ the shape

/** A source file of supabase/functions: its path there (e.g. "checkout/index.ts") and text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** Tests may import what they test; the rules below are for the code that is deployed. */
const isTestFile = (path: string) =>
  /_test\.ts$/.test(path) || path.startsWith("tests/") || path.startsWith("_shared/testing/");

/** The module specifiers a TypeScript file imports or re-exports (static and dynamic). */
export function importSpecifiers(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm),
    ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return specifiers.map((m) => m[1]);
}

/**
 * Imports that break the shape: a function importing another function's folder (or anything
 * outside supabase/functions), or _shared/ importing a function. Each function imports only
 * _shared/, its own folder and packages.
 */
export function importProblems(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files.filter((f) => !isTestFile(f.path))) {
    const folder = file.path.split("/")[0];
    for (const specifier of importSpecifiers(file.text)) {
      if (!specifier.startsWith(".")) continue; // a package, from the import map
      const target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
      const into = target.split("/")[0];
      if (target.startsWith("..") || (into !== "_shared" && into !== folder)) {
        problems.push(`${file.path} imports ${specifier}`);
      }
    }
  }
  return problems;
}

/** Deployed code that reads env other than through a schema (config.ts's readConfig). */
export function envReadProblems(files: SourceFile[]): string[] {
  return files
    .filter((f) => !isTestFile(f.path) && f.path !== "_shared/config.ts")
    .filter((f) => /\bDeno\.env\b/.test(f.text))
    .map((f) => `${f.path} reads Deno.env; read env through the function's schema (config.ts)`);
}
