// One place that turns errors into HTTP responses: {error: {code, message, details}}.
import { z } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. WWW-Authenticate on a 401, Retry-After on a 503. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * The function's environment is missing or has an invalid setting (config.ts's readConfig).
 * The message names every variable at fault, for the logs only. When a third party the function
 * can't work without is not set up (`service`), clients get 503 with that service's code;
 * otherwise a 500 `misconfigured`.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly service?: { code: string; message: string },
  ) {
    super(message);
  }
}

export const corsHeaders: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
};

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "content-type": "application/json", ...headers },
  });
}

function errorResponse(
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers: HeadersInit = {},
) {
  return json(
    { error: { code, message, ...(details === undefined ? {} : { details }) } },
    status,
    headers,
  );
}

/** A Postgres error, as postgres.js throws it. */
interface PgError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function isPgError(e: unknown): e is PgError {
  return typeof e === "object" && e !== null && (e as { name?: string }).name === "PostgresError";
}

/**
 * The HTTP status PostgREST gives each SQLSTATE our SQL raises (or Postgres raises for bad input),
 * so a function answers a database error as supabase-js would have seen it from the REST API.
 * PTxxx carries its status itself (pgStatus). A 42501 of SQL run as anon is 401 (ranAsAnon).
 */
const sqlStateStatus: Record<string, number> = {
  "42501": 403, // insufficient_privilege: the caller may not do this
  "P0001": 400, // raise exception: a business rule said no
  "P0002": 404, // no_data_found, Postgres' own; our "not found" is PT404, as PostgREST needs
  "22023": 400, // invalid_parameter_value
  "22P02": 400, // invalid_text_representation (a malformed uuid, say)
  "22001": 400, // string_data_right_truncation
  "22007": 400, // invalid_datetime_format
  "22008": 400, // datetime_field_overflow
  "23514": 400, // check_violation
  "23502": 400, // not_null_violation
  "23505": 409, // unique_violation
  "23503": 409, // foreign_key_violation: what it refers to is gone
};

/** Errors of SQL that ran as anon (asCaller marks them): PostgREST answers their 42501 with 401. */
const anonErrors = new WeakSet<object>();

/** Marks an error thrown by SQL that ran as anon (nobody signed in); returns it. */
export function ranAsAnon<E>(e: E): E {
  if (typeof e === "object" && e !== null) anonErrors.add(e);
  return e;
}

/** The HTTP status PostgREST gives a SQLSTATE (42501: 403, signed in); undefined: a 500. */
export function sqlStateHttpStatus(sqlstate: string): number | undefined {
  if (sqlstate in sqlStateStatus) return sqlStateStatus[sqlstate];
  if (/^PT[45]\d\d$/.test(sqlstate)) return Number(sqlstate.slice(2));
  return undefined;
}

/** A database error's HTTP status, as PostgREST gives it; undefined for a fault of ours (500). */
function pgStatus(e: PgError): number | undefined {
  if (e.code === "42501" && anonErrors.has(e)) return 401;
  return sqlStateHttpStatus(e.code);
}

/** A stable machine code in a raise's `detail` (e.g. course_not_published), not a sentence. */
const machineCode = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/**
 * A database error as PostgREST's status for it, with the raise's machine code (its `detail`,
 * e.g. already_owned) as `code` when it has one, else the SQLSTATE; the message; and the hint, or
 * Postgres' own detail (which key, which row), as `details`. Null for a fault of ours.
 */
function databaseError(e: PgError): Response | null {
  const status = pgStatus(e);
  if (status === undefined) return null;
  const code = e.detail !== undefined && machineCode.test(e.detail) ? e.detail : undefined;
  return errorResponse(
    status,
    code ?? e.code,
    e.message,
    e.hint ?? (code ? undefined : e.detail),
    retryAfter(e),
  );
}

/**
 * A rate limit's refusal (PT429, private.take_token) says in its hint how long to wait ("Retry
 * after 12 seconds."): the Retry-After header, as PostgREST sends it for the same refusal.
 */
function retryAfter(e: PgError): Record<string, string> {
  if (e.code !== "PT429") return {};
  const seconds = /^Retry after (\d+) seconds?\.$/.exec(e.hint ?? "")?.[1];
  return { "retry-after": seconds ?? "1" };
}

/**
 * The database could not be reached or is refusing work: connection errors (postgres.js and the
 * socket), the SQLSTATE classes 08 (connection exception), 53 (insufficient resources) and 57P
 * (shutdown, cannot connect now), a statement timeout (57014), and a serialization failure or
 * deadlock (40001, 40P01) that a retry resolves. The only database errors that answer 503.
 */
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

function isDatabaseOutage(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const code = String((e as { code?: unknown }).code ?? "");
  if (isPgError(e)) return /^(08|53|57P)/.test(code) || ["57014", "40001", "40P01"].includes(code);
  return unreachableCodes.has(code);
}

/**
 * `value` checked against `schema`; what does not fit is the client's mistake: 400
 * invalid_request, with zod's field errors in `details`.
 */
export function validate<S extends z.ZodType>(value: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HttpError(
      400,
      "invalid_request",
      "The request is not valid.",
      z.flattenError(parsed.error),
    );
  }
  return parsed.data;
}

/**
 * A JSON text checked against `schema` (validate). Text that is not JSON is 400 invalid_json. An
 * empty text is `whenEmpty` when one is given (for endpoints whose body is optional).
 */
export function parseJson<S extends z.ZodType>(
  text: string,
  schema: S,
  whenEmpty?: unknown,
): z.infer<S> {
  let value: unknown = whenEmpty;
  if (text.trim() !== "" || whenEmpty === undefined) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
    }
  }
  return validate(value, schema);
}

/** The request's JSON body checked against `schema` (parseJson). */
export async function parseBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  whenEmpty?: unknown,
): Promise<z.infer<S>> {
  return parseJson(await req.text(), schema, whenEmpty);
}

/** stripe-node's error classes, by their `type`: an outage or a misconfiguration is ours (5xx). */
function stripeStatus(e: unknown): [number, string, string] | null {
  const type = (e as { type?: unknown })?.type;
  if (typeof type !== "string" || !type.startsWith("Stripe")) return null;
  switch (type) {
    case "StripeConnectionError":
    case "StripeAPIError":
    case "StripeRateLimitError":
      return [503, "stripe_unavailable", "The payment provider is unavailable. Please try again."];
    case "StripeAuthenticationError":
    case "StripePermissionError":
      return [503, "stripe_not_configured", "Payments are not configured correctly."];
    default:
      return [502, "stripe_error", "The payment provider refused the request."];
  }
}

export function toResponse(e: unknown): Response {
  if (e instanceof HttpError) {
    return errorResponse(e.status, e.code, e.message, e.details, e.headers);
  }
  const answered = isPgError(e) ? databaseError(e) : null;
  if (answered) return answered;
  if (isDatabaseOutage(e)) {
    console.error(e);
    return json(
      {
        error: {
          code: "database_unavailable",
          message: "The database is unavailable. Please try again.",
        },
      },
      503,
      { "retry-after": "5" },
    );
  }
  const stripe = stripeStatus(e);
  if (stripe) {
    console.error(e);
    return errorResponse(...stripe);
  }
  if (e instanceof ConfigError) {
    console.error(e.message);
    if (e.service) return errorResponse(503, e.service.code, e.service.message);
    return errorResponse(500, "misconfigured", "The function is not configured.");
  }
  console.error(e);
  return errorResponse(500, "internal_error", "Something went wrong. Please try again.");
}

/**
 * Wraps a function's handler of `method` requests: answers CORS preflights, any other method with
 * 405 method_not_allowed, and maps every thrown error through toResponse.
 */
export function handle(
  method: "GET" | "POST",
  fn: (req: Request) => Promise<Response>,
): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
    try {
      if (req.method !== method) {
        throw new HttpError(405, "method_not_allowed", method === "GET" ? "Use GET." : "Use POST.");
      }
      return await fn(req);
    } catch (e) {
      return toResponse(e);
    }
  };
}
