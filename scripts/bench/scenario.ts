// What a bench scenario is, and how one request runs: the statement PostgREST 12.0.2 sends for
// the supabase-js call a frontend makes, in a transaction set up the way PostgREST sets it up.
//
// The statements' shapes were read from PostgreSQL's log (log_statement = all on
// `authenticator`) while supabase-js-equivalent GET requests went through our PostgREST: an RPC
// called with `{ get: true }` reads its arguments from a JSON object with json_to_recordset and
// calls the function by named arguments; a table read selects the columns asked for with the
// filters as parameters; both end in json_agg of the rows, with `max_rows` (1000) as the limit.
// The one difference: the JSON argument is cast (`$1::json`) where PostgREST sends a typed
// parameter.
import type { Tx } from "../../supabase/functions/_shared/db.ts";
import type { Sample } from "./seed.ts";

/** config.toml's [api] max_rows, PostgREST's limit on every read. */
const MAX_ROWS = 1000;

/** What PostgREST does with every result: count it and aggregate it into the JSON body. */
const body = (from: string) =>
  `SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
  `coalesce(json_agg(_postgrest_t), '[]') AS body, ` +
  `nullif(current_setting('response.headers', true), '') AS response_headers, ` +
  `nullif(current_setting('response.status', true), '') AS response_status, ` +
  `'' AS response_inserted FROM ${from} _postgrest_t`;

/** A request as PostgREST receives it: its path, and the SQL it runs with its parameters. */
export interface Request {
  path: string;
  sql: string;
  params: unknown[];
}

/**
 * `supabase.rpc(fn, args, { get: true })`: GET /rpc/<fn>?<args>. `args` maps each argument the
 * call sends to its SQL type; `alias` is what PostgREST names the rows: the function's composite
 * return type, or `record` for `returns table`.
 */
export function rpc(
  fn: string,
  args: Record<string, string>,
  alias: string,
): (values: Record<string, unknown>) => Request {
  const names = Object.keys(args);
  const call = names.length === 0
    ? `"public"."${fn}"() pgrst_call`
    : `(SELECT $1::json AS json_data) pgrst_payload, ` +
      `LATERAL (SELECT CASE WHEN json_typeof(pgrst_payload.json_data) = 'array' ` +
      `THEN pgrst_payload.json_data ELSE json_build_array(pgrst_payload.json_data) END AS val) pgrst_uniform_json, ` +
      `LATERAL (SELECT ${
        names.map((a) => `"${a}"`).join(", ")
      } FROM json_to_recordset(pgrst_uniform_json.val) ` +
      `AS _(${names.map((a) => `"${a}" ${args[a]}`).join(", ")}) LIMIT 1) pgrst_body , ` +
      `LATERAL "public"."${fn}"(${
        names.map((a) => `"${a}" := pgrst_body."${a}"`).join(", ")
      }) pgrst_call`;
  const n = names.length === 0 ? 0 : 1;
  const sql = `WITH pgrst_source AS (SELECT "pgrst_call".* FROM ${call}) ` +
    body(
      `(SELECT "${alias}".* FROM "pgrst_source" AS "${alias}" LIMIT $${n + 1} OFFSET $${n + 2})`,
    );
  return (values) => ({
    path: `/rpc/${fn}`,
    sql,
    // Query-string values reach PostgREST as text; json_to_recordset casts them. postgres.js
    // serializes the object for the json parameter.
    params: [
      ...(n ? [Object.fromEntries(names.map((a) => [a, String(values[a])]))] : []),
      MAX_ROWS,
      0,
    ],
  });
}

/**
 * `supabase.from(table).select(columns).eq(column, value)...`: GET /<table>?select=...&<col>=eq.
 * Each filter is `column = value`; `order` is `[column, "ASC" | "DESC"]`; `limit` is
 * `.limit(n)` (else max_rows).
 */
export function select(
  table: string,
  columns: string[],
  opts: { eq: string[]; order?: [string, "ASC" | "DESC"]; limit?: number },
): (values: unknown[]) => Request {
  const t = `"public"."${table}"`;
  const where = opts.eq.map((c, i) => `${t}."${c}" = $${i + 1}`).join(" AND ");
  const order = opts.order ? ` ORDER BY ${t}."${opts.order[0]}" ${opts.order[1]} ` : "";
  const n = opts.eq.length;
  const sql = `WITH pgrst_source AS ( SELECT ${columns.map((c) => `${t}."${c}"`).join(", ")} ` +
    `FROM ${t}  WHERE  ${where} ${order} LIMIT $${n + 1} OFFSET $${n + 2} )  ` +
    body(`( SELECT * FROM pgrst_source )`);
  return (values) => ({
    path: `/${table}`,
    sql,
    params: [...values, Math.min(opts.limit ?? MAX_ROWS, MAX_ROWS), 0],
  });
}

/** One bench row: a call a frontend makes, and who makes it. */
export interface Scenario {
  /** The row's label in docs/BENCHMARKS.md. */
  name: string;
  /** The supabase-js call, as a frontend writes it (shown in the report). */
  call: string;
  /** Whose token the request carries. */
  persona: "student" | "instructor";
  /** The request for the i-th run with this sample. */
  request: (s: Sample, i: number) => Request;
  /** p95 with RLS this call must stay under, in ms (default: BENCH_TARGET_P95_MS, else 25). */
  targetP95Ms?: number;
  /** Bench notes on what the numbers mean for this call (markdown, one paragraph). */
  notes?: string;
}

export const userOf = (sc: Scenario, s: Sample) =>
  sc.persona === "student" ? s.student : s.instructor;

/**
 * The settings PostgREST makes local to each request's transaction: search_path, JWT claims,
 * method, path and, with `rls`, the role `authenticated`. Without it the connection's superuser
 * runs the statement with the same claims, and row-level security does not apply.
 */
export async function asPostgrest(tx: Tx, req: Request, claims: string, rls: boolean) {
  await tx`select set_config('search_path', '"public", "public", "extensions"', true),
                  set_config('request.jwt.claims', ${claims}, true),
                  set_config('request.method', 'GET', true),
                  set_config('request.path', ${req.path}, true)`;
  if (rls) await tx`select set_config('role', 'authenticated', true)`;
}

/**
 * Runs one request in the caller's transaction as PostgREST does (settings, then the statement,
 * prepared as PostgREST prepares it). Returns how long the statement took (ms) and how many rows
 * it answered with.
 */
export async function runRequest(
  tx: Tx,
  req: Request,
  claims: string,
  rls: boolean,
): Promise<{ ms: number; rows: number }> {
  await asPostgrest(tx, req, claims, rls);
  const t0 = performance.now();
  const [result] = await tx.unsafe<{ page_total: number | string }[]>(
    req.sql,
    req.params as never[],
    { prepare: true },
  );
  return { ms: performance.now() - t0, rows: Number(result.page_total) };
}
