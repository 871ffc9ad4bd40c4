// SQL string constants as Postgres reads them, for the scripts that read SQL text: the pgTAP style
// check (pgtap-style.ts) and the error table's reader of migrations (sql-errors.ts).

/**
 * The string constant whose opening quote is at `open`, read up to `end`: its value ('' is a quote;
 * with `escapes`, as in E'...', a backslash escapes the next character), the offset just past it,
 * and whether it was closed before `end` (an unclosed one runs to `end`, as Postgres reads it).
 */
export function readSqlString(
  text: string,
  open: number,
  end = text.length,
  escapes = false,
): { value: string; next: number; closed: boolean } {
  let i = open + 1;
  let value = "";
  while (i < end) {
    if (escapes && text[i] === "\\") {
      value += text[i + 1] ?? "";
      i += 2;
    } else if (text[i] === "'" && text[i + 1] === "'") {
      value += "'";
      i += 2;
    } else if (text[i] === "'") {
      return { value, next: i + 1, closed: true };
    } else value += text[i++];
  }
  return { value, next: i, closed: false };
}
