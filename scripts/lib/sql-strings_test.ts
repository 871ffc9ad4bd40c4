import assert from "node:assert/strict";
import { readSqlString } from "./sql-strings.ts";

Deno.test("readSqlString: '' is a quote, a backslash only escapes in E'', an unclosed string runs to the end", () => {
  const sql = "select 'it''s', E'a\\'b' from x";
  assert.deepEqual(readSqlString(sql, 7), { value: "it's", next: 14, closed: true });
  assert.deepEqual(readSqlString(sql, 17, sql.length, true), {
    value: "a'b",
    next: 23,
    closed: true,
  });
  assert.deepEqual(readSqlString("'a\\'", 0), { value: "a\\", next: 4, closed: true });
  assert.deepEqual(readSqlString("x 'open", 2), { value: "open", next: 7, closed: false });
  assert.deepEqual(readSqlString("'abc' tail", 0, 3), { value: "ab", next: 3, closed: false });
});
