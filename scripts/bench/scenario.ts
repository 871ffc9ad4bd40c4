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

/**
 * What PostgREST does with every result: count it and aggregate it into the JSON body (a scalar
 * function's one value as it is).
 */
const body = (from: string, scalar = false) =>
  `SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
  (scalar
    ? `coalesce((json_agg(_postgrest_t.pgrst_scalar)->0)::text, 'null') AS body, `
    : `coalesce(json_agg(_postgrest_t), '[]') AS body, `) +
  `nullif(current_setting('response.headers', true), '') AS response_headers, ` +
  `nullif(current_setting('response.status', true), '') AS response_status, ` +
  `'' AS response_inserted FROM ${from} _postgrest_t`;

/** A request as PostgREST receives it: its method and path, and the SQL it runs with its parameters. */
export interface Request {
  /** GET unless said otherwise. */
  method?: "GET" | "POST";
  path: string;
  sql: string;
  params: unknown[];
}

/**
 * `supabase.rpc(fn, args, { get: true })`: GET /rpc/<fn>?<args>. `args` maps each argument the
 * call sends to its SQL type; `alias` is what PostgREST names the rows: the function's composite
 * return type, or `record` for `returns table`.
 *
 * With `post`, `supabase.rpc(fn, args)`: POST /rpc/<fn> with the arguments as a JSON body (values
 * keep their JSON types), in a read-write transaction. With `scalar` (a function returning one
 * value, not a row), PostgREST calls it in a `pgrst_scalar` column and answers with that value
 * (callPlanToQuery and the scalar body of PostgREST's QueryBuilder and Statements).
 */
export function rpc(
  fn: string,
  args: Record<string, string>,
  alias: string,
  opts: { post?: boolean; scalar?: boolean } = {},
): (values: Record<string, unknown>) => Request {
  const names = Object.keys(args);
  const target = `"public"."${fn}"(${names.map((a) => `"${a}" := pgrst_body."${a}"`).join(", ")})`;
  const called = opts.scalar
    ? `(SELECT ${target} pgrst_scalar) pgrst_call`
    : `${target} pgrst_call`;
  const call = names.length === 0
    ? opts.scalar
      ? `(SELECT "public"."${fn}"() pgrst_scalar) pgrst_call`
      : `"public"."${fn}"() pgrst_call`
    : `(SELECT $1::json AS json_data) pgrst_payload, ` +
      `LATERAL (SELECT CASE WHEN json_typeof(pgrst_payload.json_data) = 'array' ` +
      `THEN pgrst_payload.json_data ELSE json_build_array(pgrst_payload.json_data) END AS val) pgrst_uniform_json, ` +
      `LATERAL (SELECT ${
        names.map((a) => `"${a}"`).join(", ")
      } FROM json_to_recordset(pgrst_uniform_json.val) ` +
      `AS _(${names.map((a) => `"${a}" ${args[a]}`).join(", ")}) LIMIT 1) pgrst_body , ` +
      `LATERAL ${called}`;
  const n = names.length === 0 ? 0 : 1;
  const sql = opts.scalar
    ? `WITH pgrst_source AS (SELECT "pgrst_call"."pgrst_scalar" FROM ${call}) ` +
      body(`(SELECT "pgrst_source".* FROM "pgrst_source" LIMIT $${n + 1} OFFSET $${n + 2})`, true)
    : `WITH pgrst_source AS (SELECT "pgrst_call".* FROM ${call}) ` +
      body(
        `(SELECT "${alias}".* FROM "pgrst_source" AS "${alias}" LIMIT $${n + 1} OFFSET $${n + 2})`,
      );
  return (values) => ({
    method: opts.post ? "POST" : "GET",
    path: `/rpc/${fn}`,
    sql,
    // Query-string values reach PostgREST as text, a JSON body as JSON; json_to_recordset casts
    // them. postgres.js serializes the object for the json parameter.
    params: [
      ...(n
        ? [Object.fromEntries(names.map((a) => [a, opts.post ? values[a] : String(values[a])]))]
        : []),
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
                  set_config('request.method', ${req.method ?? "GET"}, true),
                  set_config('request.path', ${req.path}, true)`;
  if (rls) await tx`select set_config('role', 'authenticated', true)`;
}

/**
 * Runs one request in the caller's transaction as PostgREST does (settings, then the statement,
 * prepared as PostgREST prepares it). Returns how long the statement took (ms), how many rows it
 * answered with and the response body (parsed JSON).
 */
export async function runRequest(
  tx: Tx,
  req: Request,
  claims: string,
  rls: boolean,
): Promise<{ ms: number; rows: number; body: unknown }> {
  await asPostgrest(tx, req, claims, rls);
  const t0 = performance.now();
  const [result] = await tx.unsafe<{ page_total: number | string; body: unknown }[]>(
    req.sql,
    req.params as never[],
    { prepare: true },
  );
  const ms = performance.now() - t0;
  const body = typeof result.body === "string" ? JSON.parse(result.body) : result.body;
  return { ms, rows: Number(result.page_total), body };
}
