// The pgTAP style check's own tests: what it must flag, what it must let through, and the SQL
// lexing it relies on (dollar quotes, '' and E'' escapes, comments, nested parentheses).
import assert from "node:assert/strict";
import { checkPgTap, findCalls, tokenize } from "./pgtap-style.ts";

const lines = (sql: string) => checkPgTap(sql).map((p) => p.line);

Deno.test("pgtap-style: a throws_ok without a SQLSTATE or with a null message is flagged at its line", () => {
  const sql = [
    "begin;",
    "select throws_ok($$ select 1/0 $$);",
    "select throws_ok($$ select 1/0 $$, 'division by zero');",
    "select throws_ok($$ select 1/0 $$, null, 'division by zero', 'no code');",
    "select throws_ok($$ select 1/0 $$, '22012', null, 'null message');",
    "select throws_ok($$ select 1/0 $$, '22012', NULL::text, 'null cast to text');",
    "select throws_ok($$ select 1/0 $$, '22012', cast(null as text), 'null cast');",
    "select throws_ok($$ select 1/0 $$, 'P01', 'short code', 'not five characters');",
    "select throws_ok($$ select 1/0 $$, 22012, 'division by zero', 'an integer, not a code literal');",
    "select throws_ok($$ select 1/0 $$, '22012');",
    "rollback;",
  ].join("\n");
  assert.deepEqual(lines(sql), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.match(checkPgTap(sql)[0].message, /without a SQLSTATE/);
  assert.match(checkPgTap(sql)[3].message, /null message/);
});

Deno.test("pgtap-style: a throws_ok naming the SQLSTATE and the message passes, whatever builds the message", () => {
  const sql = `
select throws_ok($$ select 1/0 $$, '22012', 'division by zero', 'integer division');
select throws_ok($$ select 1/0 $$, '22012', 'division by zero');
select throws_ok(format($$ select public.f(%L) $$, tests.user_id('a@t')), 'PT404',
  format('user %s not found', tests.user_id('a@t')), 'a message built with format()');
select throws_ok('select 1', 'P0001', (select format('order %s', id) from t limit 1), 'a message from a subquery');
select throws_ok($$ select 1 $$, 'P0001', 'null is a fine word in a message', 'the word null inside the message');
`;
  assert.deepEqual(checkPgTap(sql), []);
});

Deno.test("pgtap-style: ok(true), ok(not false) and pass() are flagged; real ok() calls and lookalikes are not", () => {
  const sql = `
select ok(true);
select ok(TRUE, 'always');
select ok( true::boolean , 'cast');
select ok(not false, 'negated');
select ok('t', 'a true literal');
select pass('nothing checked');
select tap.pass();
select "pass"();
select ok(true and exists (select 1 from t), 'true is only part of it');
select ok(exists (select 1 from t), 'a real check');
select ok(is_true, 'a column named like a boolean');
select lives_ok($$ select 1 $$, 'lives_ok is not ok');
select bypass(1), compass('x'), passed, ok_true(1);
`;
  assert.deepEqual(lines(sql), [2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("pgtap-style: throws_like and friends are flagged (they cannot name a SQLSTATE)", () => {
  const sql = `select throws_like($$ select 1/0 $$, '%zero%', 'like');
select throws_ilike($$ select 1/0 $$, '%ZERO%');
select throws_matching($$ select 1/0 $$, 'zero');
select throws_imatching($$ select 1/0 $$, 'ZERO');`;
  assert.deepEqual(lines(sql), [1, 2, 3, 4]);
});

Deno.test("pgtap-style: calls inside strings and comments are not calls", () => {
  const sql = `
-- select ok(true);
/* select pass(); /* nested */ select throws_ok($$ x $$); */
select is('select ok(true)', 'select ok(true)', 'a string holding a call');
select is(E'it\\'s ok(true)', 'x', 'an E string with an escaped quote');
select is('it''s pass()', 'x', 'a doubled quote');
select is("ok"(1), 2, 'a quoted call to ok, but not with true');
select is("OK"(true), 2, 'a quoted OK is another function');
`;
  assert.deepEqual(checkPgTap(sql), []);
});

Deno.test("pgtap-style: dollar quotes: tags, $ inside bodies, nesting, and positional parameters", () => {
  const sql = [
    "select throws_ok($q$ select 'it''s $$ not the end $$' $q$, '22012', 'x', 'a tagged body holding $$');",
    "select ok(true) from (select $1, $2) p;",
    "select is($a$ select ok(true) $a$, $b$ x $b$, 'calls inside dollar strings passed as data are read as SQL');",
    "do $body$ begin perform pass(); end $body$;",
    "select throws_ok($$ select 'unterminated $tag$ inside' $$, '22012', null, 'a stray tag inside a body');",
    "select a$b$c(1), ok(true);",
    "select throws_ok($$ select 1 -- it's ( $$, '22012', null, 'a body holding a comment, a quote, a parenthesis');",
    "select throws_ok($x$ it's ( $x$, '22012', null, 'the same in a tagged body');",
    "select throws_ok($x$ $$ it's $x$, '22012', 'm', 'a body holding the other tag'), ok(true);",
  ].join("\n");
  // Line 3: the $a$ body is lexed as SQL (DO bodies and functions hold real calls), so its ok(true)
  // is flagged; line 6: a$b$c is one identifier ($ continues an identifier), not a dollar quote.
  // Lines 7-9: what a body holds ends with the body; the arguments after it are read as SQL.
  assert.deepEqual(lines(sql), [2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("pgtap-style: arguments split at top-level commas only, across lines, with nested parentheses", () => {
  const sql = `select throws_ok(
  format($$ select f(%L, %L) $$, g(1, (2)), array[1, 2]),
  'P0001',
  format('x %s, %s', (select max(a) from t where b in (1, 2)), 'y'),
  'desc, with a comma'
);`;
  const [call] = findCalls(sql).filter((c) => c.name === "throws_ok");
  assert.equal(call.args.length, 4);
  assert.equal(call.argText[1], "'P0001'");
  assert.equal(call.argText[3], "'desc, with a comma'");
  assert.ok(call.argText[2].startsWith("format('x %s, %s'"));
  assert.deepEqual(checkPgTap(sql), []);
  assert.deepEqual(lines(sql.replace("format('x %s", "null, format('x %s")), [1]);
});

Deno.test("pgtap-style: the line of a flagged call is the line of its name", () => {
  const sql =
    "select\n  1;\nselect\n  throws_ok(\n    $$ select 1 $$,\n    '22012',\n    null,\n    'd'\n  );\n";
  assert.deepEqual(lines(sql), [4]);
});

Deno.test("pgtap-style: the tokenizer keeps string values and dollar bodies", () => {
  const tokens = tokenize("select 'a''b', E'c\\'d', $t$ e $ f $t$, \"q\"\"i\", 1.5e3");
  assert.deepEqual(
    tokens.map((
      t,
    ) => [t.kind, t.kind === "string" ? t.value : t.kind === "dollar" ? t.body : t.text]),
    [
      ["ident", "select"],
      ["string", "a'b"],
      ["punct", ","],
      ["string", "c'd"],
      ["punct", ","],
      ["dollar", " e $ f "],
      ["punct", ","],
      ["quoted_ident", '"q""i"'],
      ["punct", ","],
      ["number", "1.5e3"],
    ],
  );
});
