// The pgTAP style rules our tests keep (scripts/pgtap_style_test.ts runs them on every file
// under supabase/tests): every throws_ok names the SQLSTATE and the exact message, no assertion
// is true by construction (ok(true), pass()), and no throws_like-style call stands in for a
// throws_ok (they cannot name a SQLSTATE). A small SQL tokenizer finds the calls: it skips
// comments and string literals, descends into dollar-quoted bodies (DO blocks, functions), and
// splits arguments at top-level commas, so nested parentheses and calls over several lines are
// read the way Postgres reads them.
import { readSqlString } from "./sql-strings.ts";

/** A token of SQL text, with its offset in the whole file. */
export type Token =
  | { kind: "ident"; text: string; offset: number }
  | { kind: "string"; text: string; value: string; offset: number }
  | { kind: "dollar"; text: string; body: string; bodyOffset: number; offset: number }
  | { kind: "quoted_ident"; text: string; offset: number }
  | { kind: "number"; text: string; offset: number }
  | { kind: "punct"; text: string; offset: number };

const identStart = /[A-Za-z_\u0080-\uffff]/;
const identPart = /[A-Za-z0-9_$\u0080-\uffff]/;
const dollarTag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * Tokens of `sql` (from `start` to `end`, offsets relative to the whole text). Comments are
 * dropped. An unterminated string, quoted identifier or comment runs to `end`, as Postgres
 * would read it (it would then refuse the file).
 */
export function tokenize(sql: string, start = 0, end = sql.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && next === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 || nl > end ? end : nl + 1;
    } else if (c === "/" && next === "*") {
      // Block comments nest in Postgres.
      let depth = 1;
      i += 2;
      while (i < end && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") (depth++, i += 2);
        else if (sql[i] === "*" && sql[i + 1] === "/") (depth--, i += 2);
        else i++;
      }
    } else if (c === "'" || (/[eE]/.test(c) && next === "'")) {
      // A string constant; '' is a quote. In an E'' string a backslash escapes the next character.
      const escapes = c !== "'";
      const from = i;
      const { value, next } = readSqlString(sql, escapes ? i + 1 : i, end, escapes);
      i = next;
      tokens.push({ kind: "string", text: sql.slice(from, Math.min(i, end)), value, offset: from });
    } else if (c === "$" && dollarTag.test(sql.slice(i, Math.min(end, i + 65)))) {
      // $tag$ ... $tag$ (a tag is at most an identifier's 63 characters); $1 is a parameter.
      const tag = sql.slice(i, Math.min(end, i + 65)).match(dollarTag)![0];
      const bodyOffset = i + tag.length;
      const close = sql.indexOf(tag, bodyOffset);
      const bodyEnd = close === -1 || close + tag.length > end ? end : close;
      const stop = bodyEnd === end ? end : bodyEnd + tag.length;
      tokens.push({
        kind: "dollar",
        text: sql.slice(i, stop),
        body: sql.slice(bodyOffset, bodyEnd),
        bodyOffset,
        offset: i,
      });
      i = stop;
    } else if (c === '"') {
      const from = i++;
      while (i < end) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i++] === '"') break;
      }
      tokens.push({ kind: "quoted_ident", text: sql.slice(from, i), offset: from });
    } else if (identStart.test(c)) {
      const from = i;
      while (i < end && identPart.test(sql[i])) i++;
      tokens.push({ kind: "ident", text: sql.slice(from, i), offset: from });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(next ?? ""))) {
      const from = i;
      while (i < end && /[0-9.eE_]/.test(sql[i])) i++;
      tokens.push({ kind: "number", text: sql.slice(from, i), offset: from });
    } else if (c === ":" && next === ":") {
      tokens.push({ kind: "punct", text: "::", offset: i });
      i += 2;
    } else {
      // Positional parameters ($1) and operators are single characters here; enough for calls.
      tokens.push({ kind: "punct", text: c, offset: i });
      i++;
    }
  }
  return tokens;
}

/** A function call found in SQL: its name (without schema, folded as Postgres folds it) and arguments. */
export interface Call {
  name: string;
  offset: number;
  args: Token[][];
  /** The source text of each argument, trimmed. */
  argText: string[];
}

/**
 * Every call `name(...)` in `sql`, including calls inside other calls' arguments and inside
 * dollar-quoted bodies, in source order.
 */
export function findCalls(sql: string, start = 0, end = sql.length): Call[] {
  const tokens = tokenize(sql, start, end);
  const calls: Call[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    if (token.kind === "dollar") {
      calls.push(...findCalls(sql, token.bodyOffset, token.bodyOffset + token.body.length));
      continue;
    }
    const isName = token.kind === "ident" || token.kind === "quoted_ident";
    if (!isName || tokens[t + 1]?.text !== "(" || tokens[t + 1]?.kind !== "punct") continue;
    const args: Token[][] = [];
    const argText: string[] = [];
    let current: Token[] = [];
    let from = tokens[t + 1].offset + 1;
    let depth = 0;
    let u = t + 2;
    const close = (at: number) => {
      args.push(current);
      argText.push(sql.slice(from, at).trim());
      current = [];
      from = at + 1;
    };
    for (; u < tokens.length; u++) {
      const a = tokens[u];
      if (a.kind === "punct" && (a.text === "(" || a.text === "[")) depth++;
      if (a.kind === "punct" && (a.text === ")" || a.text === "]")) {
        if (depth === 0) break;
        depth--;
      }
      if (a.kind === "punct" && a.text === "," && depth === 0) close(a.offset);
      else current.push(a);
    }
    if (current.length > 0 || args.length > 0) close(u < tokens.length ? tokens[u].offset : end);
    // An unquoted name folds to lower case; a quoted one is taken as written ("ok" is ok, "OK" is not).
    const name = token.kind === "ident"
      ? token.text.toLowerCase()
      : token.text.slice(1, -1).replaceAll('""', '"');
    calls.push({ name, offset: token.offset, args, argText });
  }
  return calls.sort((a, b) => a.offset - b.offset);
}

/** A rule broken at a line of a file. */
export interface Problem {
  line: number;
  message: string;
}

const sqlstate = /^[0-9A-Z]{5}$/;

/** `null`, `null::text`, `(null)`, `cast(null as text)`: a message that accepts any message. */
function isNullArg(arg: Token[]): boolean {
  const words = arg.map((t) => t.text.toLowerCase()).filter((w) => w !== "(" && w !== ")");
  if (words[0] === "null") return words.length === 1 || words[1] === "::";
  return words[0] === "cast" && words[1] === "null";
}

function isTrueArg(arg: Token[]): boolean {
  const words = arg.map((t) => t.text.toLowerCase()).filter((w) => w !== "(" && w !== ")");
  const literal = arg.length === 1 && arg[0].kind === "string" ? arg[0].value.toLowerCase() : null;
  return (words[0] === "true" && (words.length === 1 || words[1] === "::")) ||
    (words.length === 2 && words[0] === "not" && words[1] === "false") ||
    (literal !== null && ["t", "true", "y", "yes", "on", "1"].includes(literal));
}

const lineAt = (sql: string, offset: number) => sql.slice(0, offset).split("\n").length;

/** Style problems of one pgTAP file's text, by line. */
export function checkPgTap(sql: string): Problem[] {
  const problems: Problem[] = [];
  for (const call of findCalls(sql)) {
    const line = lineAt(sql, call.offset);
    if (call.name === "throws_ok") {
      const [, code, message] = call.args;
      const codeLiteral = code?.length === 1 && code[0].kind === "string" ? code[0].value : null;
      if (call.args.length < 3 || codeLiteral === null || !sqlstate.test(codeLiteral)) {
        problems.push({
          line,
          message: "throws_ok without a SQLSTATE: write throws_ok(sql, 'XXXXX', 'message', " +
            "'description') with the 5-character code as a literal",
        });
      } else if (isNullArg(message)) {
        problems.push({
          line,
          message: "throws_ok with a null message accepts any message: name the exact message " +
            "(build it with format() when it holds a generated value)",
        });
      }
    } else if (
      ["throws_like", "throws_ilike", "throws_matching", "throws_imatching"].includes(call.name)
    ) {
      problems.push({
        line,
        message: `${call.name} cannot name a SQLSTATE: use throws_ok(sql, 'XXXXX', 'message', ` +
          "'description')",
      });
    } else if (call.name === "ok" && call.args.length > 0 && isTrueArg(call.args[0])) {
      problems.push({ line, message: "ok(true) cannot fail: assert the behaviour itself" });
    } else if (call.name === "pass") {
      problems.push({ line, message: "pass() cannot fail: assert the behaviour itself" });
    }
  }
  return problems;
}
