// The error table in docs/API.md is what scripts/error-table.ts generates from the migrations and
// the functions today, and the parsers behind it refuse what they can't read.
import assert from "node:assert/strict";
import {
  apiDoc,
  checkFunctionCodes,
  checkRaises,
  collect,
  expectedApiDoc,
  formatProblems,
  replaceBlocks,
  unknownCodes,
} from "./error-table.ts";
import { httpErrorClasses, parseFunctionSource } from "./lib/function-errors.ts";
import { parseSql } from "./lib/sql-errors.ts";

Deno.test("error table: docs/API.md's generated blocks are up to date", async () => {
  const committed = Deno.readTextFileSync(apiDoc);
  const { doc, problems } = await expectedApiDoc(committed);
  assert.equal(formatProblems(problems), "", "the generator refuses the code (fix it first)");
  if (doc !== committed) {
    const a = committed.split("\n");
    const b = doc.split("\n");
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `docs/API.md's error table is out of date: run \`npm run docs:errors\`.\n` +
        `First difference at docs/API.md:${line + 1}:\n  committed: ${a[line]}\n  generated: ${
          b[line]
        }`,
    );
  }
});

Deno.test("error table: every raise in the migrations has a machine code, one SQLSTATE each", () => {
  const model = collect();
  assert.equal(formatProblems(model.problems), "");
  assert.ok(model.sql.raises.length >= 100, `only ${model.sql.raises.length} raises found`);
  const codes = new Set(model.sql.raises.flatMap((r) => r.codes));
  for (const code of ["course_not_published", "offer_not_available", "coupon_used_up"]) {
    assert.ok(codes.has(code), code);
  }
  // The dynamic one is read through its case.
  const lesson = model.sql.raises.find((r) => r.message === "this lesson is not open yet");
  assert.deepEqual(lesson?.codes, ["lesson_scheduled", "lesson_locked", "lesson_not_enrolled"]);
});

// --------------------------------------------------------------------------- SQL parser

const fn = (body: string) => `
create function public.f(x text) returns void language plpgsql as $$
begin
${body}
end;
$$;
`;

Deno.test("error table: a raise without detail is refused, with its file and line", () => {
  const { raises, problems } = parseSql(
    fn(`  raise exception 'nope' using errcode = '22023';`),
    "m.sql",
  );
  assert.equal(raises.length, 0);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].file, "m.sql");
  assert.equal(problems[0].line, 4);
  assert.match(problems[0].message, /no `detail` machine code/);
});

Deno.test("error table: a raise without errcode, or with a computed detail, is refused", () => {
  const noCode = parseSql(fn(`  raise exception 'nope' using detail = 'x_y';`), "m.sql");
  assert.match(noCode.problems[0]?.message ?? "", /no literal `errcode/);
  const bare = parseSql(fn(`  raise exception 'nope';`), "m.sql");
  assert.match(bare.problems[0]?.message ?? "", /no literal `errcode/);
  const dynamic = parseSql(
    fn(`  raise exception 'nope' using errcode = 'P0001', detail = 'lesson_' || x;`),
    "m.sql",
  );
  assert.match(dynamic.problems[0]?.message ?? "", /not a literal machine code/);
  const notSnake = parseSql(
    fn(`  raise exception 'nope' using errcode = 'P0001', detail = 'Not Snake';`),
    "m.sql",
  );
  assert.match(notSnake.problems[0]?.message ?? "", /not a snake_case machine code/);
  const condition = parseSql(fn(`  raise exception division_by_zero;`), "m.sql");
  assert.match(condition.problems[0]?.message ?? "", /must read `raise exception '<message>'/);
});

Deno.test("error table: a multi-line raise with arguments, case detail and hint is read", () => {
  const { raises, problems, functions } = parseSql(
    fn(`  -- raise exception 'in a comment' is not a raise
  perform 'raise exception in a string';
  raise exception 'order % is not % (it''s %)',
      x.order_id,
      upper(x),
      y
    using errcode = 'P0001',
      detail = case x when 'a' then 'state_a'
                      when 'b' then 'state_b' else 'state_other' end,
      hint = 'Try ' || x;`),
    "m.sql",
  );
  assert.deepEqual(problems, []);
  assert.equal(raises.length, 1);
  const [r] = raises;
  assert.equal(r.line, 6);
  assert.equal(r.fn, "public.f");
  assert.equal(r.sqlstate, "P0001");
  assert.deepEqual(r.codes, ["state_a", "state_b", "state_other"]);
  assert.equal(r.format, "order % is not % (it's %)");
  assert.equal(r.message, "order <order_id> is not … (it's <y>)");
  assert.equal(r.hint, true);
  assert.equal(functions[0].name, "public.f");
});

Deno.test("error table: a case detail with a computed branch is refused", () => {
  const { problems } = parseSql(
    fn(`  raise exception 'no' using errcode = 'P0001',
    detail = case x when 'a' then 'state_a' else 'state_' || x end;`),
    "m.sql",
  );
  assert.match(problems[0]?.message ?? "", /not a literal machine code/);
});

Deno.test("error table: a placeholder without its argument is refused", () => {
  const { problems } = parseSql(
    fn(`  raise exception 'user % not found' using errcode = 'PT404', detail = 'user_not_found';`),
    "m.sql",
  );
  assert.match(problems[0]?.message ?? "", /1 % placeholder\(s\) and 0 argument/);
});

Deno.test("error table: one machine code with two SQLSTATEs is refused", () => {
  const { raises } = parseSql(
    fn(`  raise exception 'a' using errcode = 'P0001', detail = 'same_code';
  raise exception 'b' using errcode = '22023', detail = 'same_code';
  raise exception 'c' using errcode = 'P0001', detail = 'same_code';`),
    "m.sql",
  );
  const problems = checkRaises(raises);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].line, 5);
  assert.match(
    problems[0].message,
    /same_code is raised with 22023 here and with P0001 at m\.sql:4/,
  );
  const unknown = checkRaises(
    parseSql(fn(`  raise exception 'a' using errcode = 'XX123', detail = 'odd';`), "m.sql").raises,
  );
  assert.match(unknown[0]?.message ?? "", /SQLSTATE XX123 has no meaning/);
});

Deno.test("error table: a function code that is also a database code must answer its status", () => {
  const { raises } = parseSql(
    fn(`  raise exception 'a' using errcode = 'PT404', detail = 'no_meeting';
  raise exception 'b' using errcode = 'P0001', detail = 'link_pending';
  raise exception 'c' using errcode = '42501', detail = 'no_access';`),
    "m.sql",
  );
  const source = `
import { HttpError } from "./http.ts";
export function f(x: number) {
  if (x === 1) throw new HttpError(404, "no_meeting", "No meeting yet.");
  if (x === 2) throw new HttpError(409, "link_pending", "Try again.");
  if (x === 3) throw new HttpError(401, "no_access", "Sign in.");
  if (x === 4) throw new HttpError(502, "zoom_error", "Zoom said no.");
}
`;
  const { errors } = parseFunctionSource(source, "fn/index.ts", httpErrorClasses([]));
  const problems = checkFunctionCodes(errors.map((e) => ({ ...e, file: "fn/index.ts" })), raises);
  assert.equal(problems.length, 1, formatProblems(problems));
  assert.equal(problems[0].line, 5);
  assert.match(problems[0].message, /link_pending answers 409 here but .* answered 400 \(P0001/);
});

Deno.test("error table: triggers and callers are found, so the table says where frontends meet it", () => {
  const { functions, triggers } = parseSql(
    `
create function private.check() returns trigger language plpgsql as $$
begin
  perform private.helper(1);
  return new;
end;
$$;
create trigger things_check before insert or update of a on public.things
  for each row execute function private.check();
`,
    "m.sql",
  );
  assert.equal(functions[0].isTrigger, true);
  assert.deepEqual([...functions[0].calls], ["private.helper"]);
  assert.deepEqual(triggers, [{
    name: "things_check",
    table: "public.things",
    events: ["insert", "update"],
    fn: "private.check",
  }]);
});

// ---------------------------------------------------------------------- functions parser

Deno.test("error table: HttpError calls are read however they are formatted", () => {
  const source = `
import { HttpError } from "./http.ts";
class ZoomError extends HttpError {}
const invalid = (message: string) => new HttpError(401, "invalid_token", message);
export function f(x: number) {
  if (x === 1) throw new HttpError(405, "method_not_allowed", "Use POST.");
  if (x === 2) {
    throw new HttpError(
      400,
      \`bad_input\`,
      \`The input is bad.\`,
      { x },
    );
  }
  if (x === 3) throw new ZoomError(502, "zoom_error", \`Zoom answered \${x}.\`);
  if (x === 4) throw invalid("The token has expired.");
  if (x === 5) throw invalid("The token is malformed.");
}
`;
  const classes = httpErrorClasses([{ file: "a.ts", text: source }]);
  assert.ok(classes.has("ZoomError"));
  const { errors, problems } = parseFunctionSource(source, "fn/index.ts", classes);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    errors.map((e) => [e.line, e.status, e.code, e.message]),
    [
      [4, 401, "invalid_token", "The token has expired."],
      [4, 401, "invalid_token", "The token is malformed."],
      [6, 405, "method_not_allowed", "Use POST."],
      [8, 400, "bad_input", "The input is bad."],
      [15, 502, "zoom_error", "Zoom answered …."],
    ],
  );
});

Deno.test("error table: an HttpError whose code or status is not a literal is refused", () => {
  const { problems } = parseFunctionSource(
    `const code = "x";
throw new HttpError(400, code, "Message.");
throw new HttpError(status, "fine_code", "Message.");
throw new HttpError(400, "Not_Snake", "Message.");`,
    "fn/index.ts",
  );
  assert.deepEqual(problems.map((p) => [p.file, p.line]), [
    ["fn/index.ts", 2],
    ["fn/index.ts", 3],
    ["fn/index.ts", 4],
  ]);
  assert.match(problems[0].message, /string-literal code/);
  assert.match(problems[2].message, /not a snake_case error code/);
});

Deno.test("error table: errorResponse, error bodies, status tuples and services are read", () => {
  const { errors, problems } = parseFunctionSource(
    `
export const stripeService: Service = { prefix: "STRIPE_", code: "stripe_not_configured", message: "Not set up." };
export function toResponse(e: Error) {
  if (e) return errorResponse(e.status, e.code, e.message); // forwarding: not a new code
  const stripe = [503, "stripe_unavailable", "Try again."];
  ctx.addIssue({ code: "custom", message: "not an answer" });
  return json({ error: { code: "database_unavailable", message: "Down." } }, 503);
}
const r = errorResponse(
  400,
  "bad_signature",
  e instanceof Error ? e.message : "Invalid signature.",
);
`,
    "_shared/http.ts",
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(
    errors.map((e) => [e.status, e.code, e.message, e.top]),
    [
      [503, "stripe_not_configured", "Not set up.", "stripeService"],
      [503, "stripe_unavailable", "Try again.", "toResponse"],
      [503, "database_unavailable", "Down.", "toResponse"],
      [400, "bad_signature", "…", "r"],
      [400, "bad_signature", "Invalid signature.", "r"],
    ],
  );
});

// ------------------------------------------------------------------------------ the doc

Deno.test("error table: blocks are replaced between their markers, and a missing marker throws", () => {
  const doc = "a\n<!-- errors:x:begin -->\nold\n<!-- errors:x:end -->\nb\n";
  assert.equal(
    replaceBlocks(doc, { "errors:x": "new" }),
    "a\n<!-- errors:x:begin -->\n\nnew\n\n<!-- errors:x:end -->\nb\n",
  );
  assert.throws(() => replaceBlocks(doc, { "errors:y": "new" }), /no <!-- errors:y:begin -->/);
});

Deno.test("error table: docs naming a code nothing raises are refused", () => {
  const model = collect();
  const doc = [
    "| HTTP | error | when |",
    "| ---- | ----- | ---- |",
    "| 400 | `P0001` | `course_not_free`, `courses_slug_key`, `offer_id`, `coupon_gone` |",
    "",
    'if (error?.details === "no_such_reason") {}',
    "<!-- errors:codes:begin -->",
    "| `error.details` |",
    "| --- |",
    "| `made_up_but_generated` |",
    "<!-- errors:codes:end -->",
  ].join("\n");
  assert.deepEqual(unknownCodes(doc, model).map((p) => [p.line, p.message]), [
    [3, "an errors table names `coupon_gone`, which no migration or function raises"],
    [5, "a recipe names `no_such_reason`, which no migration or function raises"],
  ]);
});
