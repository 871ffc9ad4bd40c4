// Access tokens built exactly as Supabase Auth (GoTrue) builds them, for `npm run token`, the
// tests and any later tooling. The one implementation of it in TypeScript;
// supabase/tests/setup/helpers.sql (tests.claims_for) is its SQL twin for pgTAP.
//
// Source: supabase/auth internal/tokens/service.go (GenerateAccessToken, AccessTokenClaims,
// MinimumViableTokenSchema), internal/hooks/v0hooks (CustomAccessTokenInput) and
// internal/hooks/hookspgfunc (a Postgres hook is run as `select <schema>.<fn>(input)` in the
// transaction of the Auth server's own connection, as supabase_auth_admin).
import { type Claims, connect, type Sql } from "../../supabase/functions/_shared/db.ts";
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";
import { signWithKey } from "./keys.ts";
import type { SigningJwk } from "./signing-keys.ts";

/** The auth.users columns GoTrue reads to build the claims. */
export interface AuthUser {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  app_metadata: Record<string, unknown> | null;
  user_metadata: Record<string, unknown> | null;
  is_anonymous: boolean;
}

export interface TokenOptions {
  /** `<SUPABASE_URL>/auth/v1`, GOTRUE_JWT_ISSUER on the CLI's stack. */
  issuer?: string;
  /** Seconds since the epoch; defaults to now. */
  now?: number;
  /** config.toml [auth] jwt_expiry; 3600 by default. */
  expiresIn?: number;
  /** The sign-in method recorded in amr and passed to the hook. */
  method?: string;
  sessionId?: string;
  /** The custom access token hook, as "schema.function"; null when the hook is disabled. */
  hook?: string | null;
}

const DEFAULT_ISSUER = "http://127.0.0.1:54321/auth/v1";
export const DEFAULT_HOOK = "private.custom_access_token_hook";

/** GoTrue's AccessTokenClaims for a fresh session of `user`, before the hook runs. */
export function standardClaims(user: AuthUser, opts: TokenOptions = {}): Claims {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  return {
    iss: opts.issuer ?? DEFAULT_ISSUER,
    sub: user.id,
    aud: user.aud || "authenticated", // one audience, serialized as a string
    exp: now + (opts.expiresIn ?? 3600),
    iat: now,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.app_metadata ?? {},
    user_metadata: user.user_metadata ?? {},
    role: user.role || "authenticated",
    aal: "aal1",
    amr: [{ method: opts.method ?? "password", timestamp: now }],
    session_id: opts.sessionId ?? crypto.randomUUID(),
    is_anonymous: user.is_anonymous,
  };
}

/** The claims Auth requires of a hook's output (MinimumViableTokenSchema's `required`). */
const REQUIRED = [
  "aud",
  "exp",
  "iat",
  "sub",
  "email",
  "phone",
  "role",
  "aal",
  "session_id",
  "is_anonymous",
];

/** Quotes "schema.function" the way Auth names a pg-functions:// hook. */
function hookName(hook: string): string {
  const parts = hook.split(".");
  if (parts.length !== 2 || parts.some((p) => !/^[a-z_][a-z0-9_]*$/.test(p))) {
    throw new Error(`not a schema.function name: ${hook}`);
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/**
 * Runs the custom access token hook on `claims` as Auth does (its input: metadata, user_id,
 * claims, authentication_method) and returns the claims it gives back, checked like Auth checks
 * them.
 */
async function runHook(
  sql: Sql,
  hook: string,
  userId: string,
  claims: Claims,
  method = "password",
): Promise<Claims> {
  const input = {
    metadata: {
      uuid: crypto.randomUUID(),
      time: new Date().toISOString(),
      name: "customize-access-token",
    },
    user_id: userId,
    claims,
    authentication_method: method,
  };
  const [{ output }] = await sql.unsafe<{ output: { claims?: Claims; error?: unknown } }[]>(
    `select ${hookName(hook)}($1::jsonb) as output`,
    [sql.json(input as Parameters<typeof sql.json>[0])],
  );
  if (output?.error) throw new Error(`the access token hook refused: ${JSON.stringify(output)}`);
  const out = output?.claims;
  if (!out || typeof out !== "object") throw new Error("the access token hook returned no claims");
  const missing = REQUIRED.filter((k) => !(k in out));
  if (missing.length) {
    throw new Error(`the access token hook dropped required claims: ${missing.join(", ")}`);
  }
  return out;
}

/** The user with this id or (case-insensitive) email, or null. */
export async function findUser(sql: Sql, idOrEmail: string): Promise<AuthUser | null> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrEmail);
  const rows = await sql<AuthUser[]>`
    select id, aud, role, email, phone, raw_app_meta_data as app_metadata,
           raw_user_meta_data as user_metadata, is_anonymous
    from auth.users
    where ${
    byId
      ? sql`id = ${idOrEmail}::uuid`
      : sql`lower(email) = lower(${idOrEmail}) and not is_sso_user`
  }
      and deleted_at is null`;
  return rows[0] ?? null;
}

/** The claims of an access token for the user (by id or email), after the hook. */
export async function accessTokenClaims(
  sql: Sql,
  idOrEmail: string,
  opts: TokenOptions = {},
): Promise<Claims> {
  const user = await findUser(sql, idOrEmail);
  if (!user) throw new Error(`no user ${idOrEmail} in auth.users`);
  const claims = standardClaims(user, opts);
  const hook = opts.hook === undefined ? DEFAULT_HOOK : opts.hook;
  return hook ? await runHook(sql, hook, user.id, claims, opts.method) : claims;
}

/**
 * Signs claims as Auth does (tokens.SignJWT): with a signing key, its alg (ES256) and kid in the
 * header; with a legacy JWT secret (a string), HS256. typ JWT either way.
 */
async function signAccessToken(claims: Claims, key: string | SigningJwk): Promise<string> {
  if (typeof claims.exp !== "number") throw new Error("claims have no exp");
  if (typeof key === "string") return await signJwt(claims, key, claims.exp);
  return await signWithKey(claims, key);
}

/**
 * An access token for the user (by id or email): claims, hook, signature, with the stack's
 * signing key (ES256, the default of `npm run token`) or the legacy JWT secret (HS256).
 */
export async function accessToken(
  sql: Sql,
  idOrEmail: string,
  key: string | SigningJwk,
  opts: TokenOptions = {},
): Promise<{ token: string; claims: Claims }> {
  const claims = await accessTokenClaims(sql, idOrEmail, opts);
  return { token: await signAccessToken(claims, key), claims };
}

/**
 * Runs `fn` on a one-connection pool to the database at `dbUrl` as supabase_auth_admin, the role
 * the Auth server runs the access token hook as (the CLI gives every role the database password),
 * and closes it.
 */
export async function asAuthServer<T>(dbUrl: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const url = new URL(dbUrl);
  url.username = "supabase_auth_admin";
  const sql = connect(url.toString(), { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}
