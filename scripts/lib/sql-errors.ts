// Reads the errors a migration raises: every `raise exception`, its SQLSTATE, its machine code in
// `detail` and its message, plus the functions and triggers around it (scripts/error-table.ts).
import { readSqlString } from "./sql-strings.ts";

/** Something the generator refuses, with where it is. */
export interface Problem {
  file: string;
  line: number;
  message: string;
}

/** One `raise exception` in a migration. */
export interface SqlRaise {
  file: string;
  line: number;
  /** The function the raise is written in (schema-qualified), if any. */
  fn: string | null;
  /** The message format, as written ('' unescaped). */
  format: string;
  /** The message with each `%` shown as `<argument name>` (or `…` for an expression). */
  message: string;
  sqlstate: string;
  /** Its machine codes: one, or the literal alternatives of a `case` expression. */
  codes: string[];
  hint: boolean;
}

export interface SqlFunction {
  name: string;
  file: string;
  line: number;
  isTrigger: boolean;
  /** Offsets of its body (between the dollar quotes). */
  bodyStart: number;
  bodyEnd: number;
  /** Functions it calls (schema-qualified names found in its body). */
  calls: Set<string>;
}

export interface SqlTrigger {
  name: string;
  table: string;
  events: string[];
  fn: string;
}

export interface SqlParse {
  raises: SqlRaise[];
  functions: SqlFunction[];
  triggers: SqlTrigger[];
  /** Constraint SQLSTATEs the schema can raise on a write (23514 check, 23505 unique, ...). */
  constraintStates: Set<string>;
  /** Every word of the SQL outside strings and comments: tables, columns, constraints, ... */
  identifiers: Set<string>;
  problems: Problem[];
}

export const CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The SQL with comments blanked (`code`) and, in addition, the insides of single-quoted strings
 * blanked (`skel`); both keep every offset and newline, so a match in `skel` indexes `code`.
 * Dollar quotes are transparent: a function body is code.
 */
function maskSql(sql: string): { code: string; skel: string } {
  const code = sql.split("");
  const skel = sql.split("");
  const blank = (arr: string[], i: number) => {
    if (arr[i] !== "\n") arr[i] = " ";
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") {
        blank(code, i);
        blank(skel, i);
        i++;
      }
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      for (; i < stop; i++) {
        blank(code, i);
        blank(skel, i);
      }
    } else if (c === "'") {
      // The string's insides, not its quotes.
      const { next, closed } = readSqlString(sql, i);
      for (let j = i + 1; j < (closed ? next - 1 : next); j++) blank(skel, j);
      i = next;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else {
      i++;
    }
  }
  return { code: code.join(""), skel: skel.join("") };
}

interface Token {
  kind: "string" | "word" | "punct" | "other";
  text: string;
  /** A string's value ('' unescaped). */
  value?: string;
  start: number;
  end: number;
}

/** Tokens of `code` from `from` to the first `;` at depth 0 (inclusive). */
function statementTokens(code: string, from: number): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = from;
  while (i < code.length) {
    const c = code[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      const { value, next } = readSqlString(code, i);
      i = next;
      tokens.push({ kind: "string", text: code.slice(start, i), value, start, end: i });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < code.length && /[A-Za-z0-9_$.]/.test(code[i])) i++;
      tokens.push({ kind: "word", text: code.slice(start, i), start, end: i });
      continue;
    }
    if ("(),;=".includes(c)) {
      i++;
      if (c === "(") depth++;
      if (c === ")") depth--;
      tokens.push({ kind: "punct", text: c, start, end: i });
      if (c === ";" && depth <= 0) return tokens;
      continue;
    }
    if (c === '"') {
      const end = code.indexOf('"', i + 1);
      i = end < 0 ? code.length : end + 1;
      tokens.push({ kind: "word", text: code.slice(start, i), start, end: i });
      continue;
    }
    while (i < code.length && !/[\sA-Za-z_'"(),;=]/.test(code[i])) i++;
    if (i === start) i++;
    tokens.push({ kind: "other", text: code.slice(start, i), start, end: i });
  }
  return tokens;
}

/** Splits tokens at depth-0 commas, stopping at `stop` words (depth 0) or `;`. */
function splitTop(tokens: Token[], from: number, stopWords: string[]): [Token[][], number] {
  const parts: Token[][] = [[]];
  let depth = 0;
  let i = from;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    const w = t.kind === "word" ? t.text.toLowerCase() : "";
    if (depth === 0 && (t.text === ";" || stopWords.includes(w))) break;
    if (t.text === "(" || w === "case") depth++;
    if (t.text === ")" || w === "end") depth--;
    if (depth === 0 && t.text === ",") {
      parts.push([]);
      continue;
    }
    parts[parts.length - 1].push(t);
  }
  return [parts, i];
}

const lineAt = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

/** `<name>` for an argument that is a (qualified) name, `…` for any other expression. */
function placeholder(arg: Token[]): string {
  if (arg.length === 1 && arg[0].kind === "word") {
    return `<${arg[0].text.split(".").pop()}>`;
  }
  return "…";
}

/** A message format with its `%` placeholders filled in readably. */
function readableMessage(format: string, args: Token[][]): string {
  let n = 0;
  return format.replace(/%%|%/g, (m) => m === "%%" ? "%" : args[n] ? placeholder(args[n++]) : "%");
}

/**
 * The machine codes a `detail` expression can yield: a literal, or a `case` whose every result
 * (after `then` and `else`) is a literal. Anything else is null: the generator can't read it.
 */
function detailCodes(expr: Token[]): string[] | null {
  if (expr.length === 1 && expr[0].kind === "string") return [expr[0].value!];
  const words = expr.map((t) => t.kind === "word" ? t.text.toLowerCase() : "");
  if (words[0] !== "case" || words[words.length - 1] !== "end") return null;
  const codes: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    if (words[i] !== "then" && words[i] !== "else") continue;
    const result = expr[i + 1];
    const after = words[i + 2];
    if (result?.kind !== "string" || !["when", "else", "end"].includes(after)) return null;
    codes.push(result.value!);
  }
  return codes.length > 0 ? codes : null;
}

/** Every raise, function and trigger of one migration. */
export function parseSql(sql: string, file: string): SqlParse {
  const { code, skel } = maskSql(sql);
  const problems: Problem[] = [];
  const problem = (offset: number, message: string) =>
    problems.push({ file, line: lineAt(sql, offset), message });

  // Functions and their bodies.
  const functions: SqlFunction[] = [];
  const fnRe = /\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+([\w."]+)\s*\(/gi;
  for (const m of skel.matchAll(fnRe)) {
    const name = m[1].replaceAll('"', "").toLowerCase();
    const qualified = name.includes(".") ? name : `public.${name}`;
    const open = /\$([A-Za-z_]*)\$/.exec(skel.slice(m.index));
    if (!open) continue;
    const bodyStart = m.index + open.index + open[0].length;
    const close = skel.indexOf(open[0], bodyStart);
    if (close < 0) continue;
    const header = skel.slice(m.index, m.index + open.index);
    functions.push({
      name: qualified,
      file,
      line: lineAt(sql, m.index),
      isTrigger: /\breturns\s+trigger\b/i.test(header),
      bodyStart,
      bodyEnd: close,
      calls: new Set(),
    });
  }
  for (const f of functions) {
    for (
      const c of skel.slice(f.bodyStart, f.bodyEnd).matchAll(/\b([a-z_][\w]*\.[a-z_][\w]*)\s*\(/gi)
    ) {
      f.calls.add(c[1].toLowerCase());
    }
  }

  const triggers: SqlTrigger[] = [];
  const trigRe =
    /\bcreate\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+(\w+)\s+(?:before|after|instead\s+of)\s+([\s\S]*?)\s+on\s+([\w.]+)[\s\S]*?\bexecute\s+(?:function|procedure)\s+([\w.]+)\s*\(/gi;
  for (const m of skel.matchAll(trigRe)) {
    triggers.push({
      name: m[1],
      table: m[3].includes(".") ? m[3] : `public.${m[3]}`,
      events: [...m[2].toLowerCase().matchAll(/\b(insert|update|delete|truncate)\b/g)].map((e) =>
        e[1]
      ),
      fn: m[4].toLowerCase(),
    });
  }

  const constraintStates = new Set<string>();
  if (/\bcheck\s*\(/i.test(skel)) constraintStates.add("23514");
  if (/\bunique\b|\bprimary\s+key\b/i.test(skel)) constraintStates.add("23505");
  if (/\breferences\b|\bforeign\s+key\b/i.test(skel)) constraintStates.add("23503");
  if (/\bnot\s+null\b/i.test(skel)) constraintStates.add("23502");

  // Raises.
  const raises: SqlRaise[] = [];
  for (const m of skel.matchAll(/\braise\s+exception\b/gi)) {
    const tokens = statementTokens(code, m.index + m[0].length);
    const where = functions.find((f) => m.index > f.bodyStart && m.index < f.bodyEnd);
    const first = tokens[0];
    if (first?.kind !== "string") {
      problem(
        m.index,
        "a raise must read `raise exception '<message>' using errcode = ..., detail = ...`",
      );
      continue;
    }
    let i = 1;
    let args: Token[][] = [];
    if (tokens[i]?.text === ",") {
      [args, i] = splitTop(tokens, i + 1, ["using"]);
    }
    const options = new Map<string, Token[]>();
    if (tokens[i]?.kind === "word" && tokens[i].text.toLowerCase() === "using") {
      const [parts] = splitTop(tokens, i + 1, []);
      for (const part of parts) {
        if (part.length < 3 || part[0].kind !== "word" || part[1].text !== "=") {
          problem(part[0]?.start ?? m.index, "cannot read this raise's `using` option");
          continue;
        }
        options.set(part[0].text.toLowerCase(), part.slice(2));
      }
    }
    const errcode = options.get("errcode");
    const sqlstate = errcode?.length === 1 && errcode[0].kind === "string"
      ? errcode[0].value!
      : null;
    if (!sqlstate || !SQLSTATE.test(sqlstate)) {
      problem(m.index, "this raise has no literal `errcode = '<SQLSTATE>'`");
      continue;
    }
    const detail = options.get("detail");
    if (!detail) {
      problem(
        m.index,
        "this raise has no `detail` machine code (e.g. `detail = 'course_not_found'`)",
      );
      continue;
    }
    const codes = detailCodes(detail);
    if (!codes) {
      problem(
        detail[0].start,
        "this raise's `detail` is not a literal machine code (a literal, or a case whose every result is one)",
      );
      continue;
    }
    const bad = codes.filter((c) => !CODE.test(c));
    if (bad.length > 0) {
      problem(
        detail[0].start,
        `not a snake_case machine code: ${bad.map((b) => `'${b}'`).join(", ")}`,
      );
      continue;
    }
    const format = first.value!;
    const placeholders = (format.replaceAll("%%", "").match(/%/g) ?? []).length;
    if (placeholders !== args.filter((a) => a.length > 0).length) {
      problem(
        m.index,
        `the message has ${placeholders} % placeholder(s) and ${args.length} argument(s)`,
      );
    }
    raises.push({
      file,
      line: lineAt(sql, m.index),
      fn: where?.name ?? null,
      format,
      message: readableMessage(format, args),
      sqlstate,
      codes,
      hint: options.has("hint"),
    });
  }
  const identifiers = new Set(skel.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  return { raises, functions, triggers, constraintStates, identifiers, problems };
}
