// Database access for edge functions: postgres.js over SUPABASE_DB_URL, no prepared statements
// (Supavisor in transaction mode can't keep them). SQL runs either as the caller, exactly the way
// PostgREST runs it (role + request.jwt.claims, local to one transaction), or through service-only
// SQL functions for webhooks and jobs.
import postgres from "postgres";
import { type DatabaseEnv, DEFAULT_POOL_SIZE } from "./config.ts";
import { HttpError, ranAsAnon } from "./http.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

/** The JWT claims Supabase Auth puts in an access token (the fields our SQL reads). */
export interface Claims {
  sub?: string;
  role: string;
  email?: string;
  user_role?: string;
  [claim: string]: unknown;
}

const requestRoles = new Set(["anon", "authenticated", "service_role"]);

/** A postgres.js pool (scripts and tests size their own; functions use `pool`). */
export function connect(url: string, options: postgres.Options<Record<string, never>> = {}): Sql {
  return postgres(url, {
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
    ...options,
  });
}

/** A function's pool: SUPABASE_DB_URL, at most DB_POOL_SIZE connections (config.ts). */
export function pool(
  config: Pick<DatabaseEnv, "SUPABASE_DB_URL"> & Partial<DatabaseEnv>,
  options: postgres.Options<Record<string, never>> = {},
): Sql {
  return connect(config.SUPABASE_DB_URL, {
    max: config.DB_POOL_SIZE ?? DEFAULT_POOL_SIZE,
    ...options,
  });
}

/**
 * Runs `fn` in one transaction as the request's role with its claims, as PostgREST does, so
 * row-level security and grants decide what the SQL may touch. A signed-in caller whose account
 * no longer exists (a valid token of a deleted user) is refused with 401 before anything runs;
 * what SQL refuses an anonymous caller (42501) is answered 401 too, as PostgREST does.
 */
export async function asCaller<T>(
  sql: Sql,
  claims: Claims,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (!requestRoles.has(claims.role)) throw new Error(`unexpected request role: ${claims.role}`);
  try {
    const result = await sql.begin(async (tx) => {
      await tx`select set_config('role', ${claims.role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      if (claims.role === "authenticated") await requireAccount(tx);
      return await fn(tx);
    });
    return result as T;
  } catch (e) {
    // Refused as anon: nobody signed in, which PostgREST answers 401 (http.ts).
    throw claims.role === "anon" ? ranAsAnon(e) : e;
  }
}

/**
 * Runs `fn` in one transaction as the service role: the service-only SQL functions that
 * webhooks and jobs call (grants, not RLS, decide what it may touch).
 */
export function asService<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return asCaller(sql, { role: "service_role" }, fn);
}

/**
 * Refuses (401 invalid_token) a signed-in caller whose account no longer exists: a valid token of a
 * deleted user. Runs as the caller (their own profile row, which goes with the account, is the one
 * row RLS lets them see).
 */
async function requireAccount(tx: Tx): Promise<void> {
  const [{ known }] = await tx<{ known: boolean }[]>`
    select exists (select 1 from public.profiles p where p.id = (select auth.uid())) as known`;
  if (!known) {
    throw new HttpError(401, "invalid_token", "This account no longer exists. Sign in again.");
  }
}

/** The account check of asCaller on its own, for functions that otherwise run only service SQL. */
export async function requireSignedInAccount(sql: Sql, claims: Claims): Promise<string> {
  if (claims.role !== "authenticated" || typeof claims.sub !== "string") {
    throw new HttpError(401, "unauthorized", "Sign in first.");
  }
  await asCaller(sql, claims, () => Promise.resolve());
  return claims.sub;
}

/**
 * Takes one token of the caller's budget of `bucketClass` (a `function:<name>` row of
 * public.rate_limits) in the database's shared buckets, so every function instance agrees. Over
 * the limit, take_rate_limit_token raises PT429 rate_limited, which http.ts answers 429 with
 * Retry-After. Callers without a user (anon) are not limited here: the SQL that follows refuses
 * them.
 */
export async function takeToken(sql: Sql, bucketClass: string, claims: Claims): Promise<void> {
  if (typeof claims.sub !== "string" || claims.sub === "") return;
  const subject = claims.sub;
  await asService(sql, (tx) => tx`select public.take_rate_limit_token(${bucketClass}, ${subject})`);
}
