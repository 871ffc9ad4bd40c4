// Building a Supabase-like database from scratch: cluster, platform bootstrap, migrations, seed.
// Shared by `npm start` (the dev stack) and `npm test` (a throwaway stack).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { functionsPlatformEnv, JWT_SECRET, stackKeys } from "./keys.ts";
import { bin, root, supabaseDir } from "./paths.ts";
import { ensureSigningKeys, SIGNING_KEYS_PATH_ENV, signingKeysPath } from "./signing-keys.ts";
import {
  adminUrl,
  type Cluster,
  initCluster,
  isRunning,
  psql,
  startCluster,
  url,
} from "./postgres.ts";
import { colorEnabled, freePort, log, must, portOpen, startService } from "./proc.ts";

const bootstrapDir = join(root, "scripts", "bootstrap");

/**
 * Applies scripts/bootstrap/*.sql in order, as the superuser. Nothing else: PostgREST's exposed
 * schemas come from config.toml's [api] (the project's API settings when hosted), never from a
 * database setting, so none is set here either.
 */
export async function bootstrap(c: Cluster): Promise<void> {
  const files = readdirSync(bootstrapDir).filter((f) => f.endsWith(".sql")).sort();
  for (const f of files) await psql(adminUrl(c), { file: join(bootstrapDir, f) });
}

/**
 * The environment of the tools we run; they print no colour when we print none. With
 * `signingKeysPath` the Supabase CLI reads that signing keys file instead of the one config.toml
 * names (its SUPABASE_AUTH_SIGNING_KEYS_PATH override): a throwaway stack's own key.
 */
export const cliEnv = (opts: { signingKeysPath?: string } = {}): Record<string, string> => ({
  ...Deno.env.toObject(),
  PGSSLMODE: "disable",
  DO_NOT_TRACK: "1",
  ...(colorEnabled() ? {} : { NO_COLOR: "1" }),
  ...(opts.signingKeysPath ? { [SIGNING_KEYS_PATH_ENV]: opts.signingKeysPath } : {}),
});

/**
 * The Supabase CLI, from node_modules, run in the project root. It refuses to run at all while the
 * signing keys file is missing, so that file must exist first (ensureProjectSigningKeys, or a
 * throwaway stack's own key passed as `signingKeysPath`).
 */
export async function supabase(
  args: string[],
  opts: { inherit?: boolean; signingKeysPath?: string } = {},
) {
  const { signingKeysPath, ...rest } = opts;
  return await must([bin("supabase"), ...args], {
    cwd: root,
    env: cliEnv({ signingKeysPath }),
    ...rest,
  });
}

/**
 * The project's signing keys file (config.toml's [auth] signing_keys_path, git-ignored), created
 * with one ES256 key the first time; then `supabase start` and our stack sign with that key.
 */
export async function ensureProjectSigningKeys(): Promise<string> {
  const path = signingKeysPath();
  if (!path) throw new Error("supabase/config.toml has no [auth] signing_keys_path");
  const { created, keys } = await ensureSigningKeys(path);
  if (created) log(`created the JWT signing key ${keys[0].kid} (ES256) in ${path}`);
  return path;
}

/** Applies pending migrations and the seed, as `postgres`, with the real CLI. */
export async function pushMigrations(
  c: Cluster,
  opts: { signingKeysPath?: string } = {},
): Promise<void> {
  await supabase(["db", "push", "--db-url", url(c), "--include-seed", "--yes"], opts);
  await registerPreRequest(c);
}

/**
 * The deploy step after the migrations (README, "Deploying to Supabase"), as `postgres`:
 * supabase/deploy/db_pre_request.sql registers the rate-limit hook as PostgREST's db-pre-request.
 */
export async function registerPreRequest(c: Cluster): Promise<void> {
  await psql(url(c), { file: join(supabaseDir, "deploy", "db_pre_request.sql") });
}

/** A fresh cluster with the platform bootstrap, our migrations and the seed. */
export async function createDatabase(
  c: Cluster,
  opts: { ephemeral?: boolean; signingKeysPath?: string } = {},
) {
  log(`creating a PostgreSQL cluster in ${c.dir}`);
  await initCluster(c, { runCronJobs: !opts.ephemeral });
  await startCluster(c, opts);
  log("applying the Supabase platform bootstrap");
  await bootstrap(c);
  log("applying migrations and seed (supabase db push)");
  await pushMigrations(c, { signingKeysPath: opts.signingKeysPath });
}

export async function ensureRunning(c: Cluster, opts: { ephemeral?: boolean } = {}) {
  if (!(await isRunning(c))) await startCluster(c, opts);
}

export interface GatewayProcess {
  port: number;
  pid: number;
}

/**
 * Starts the API gateway (functions, and /rest/v1 when `restUrl` names PostgREST) in its own
 * session, logging to `logFile`, and waits for it.
 */
export async function startGateway(
  c: Cluster,
  opts: {
    port?: number;
    logFile: string;
    /** The stack's signing keys file (the project's, or a throwaway stack's own). */
    signingKeysPath: string;
    envFile?: string;
    restUrl?: string;
    /** Function secrets that win over the env file's. */
    secretOverrides?: Record<string, string>;
  },
): Promise<GatewayProcess> {
  const port = opts.port ?? freePort();
  const keys = await stackKeys({ path: opts.signingKeysPath });
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    FUNCTIONS_PORT: String(port),
    SUPABASE_URL: `http://127.0.0.1:${port}`,
    SUPABASE_DB_URL: url(c),
    ...functionsPlatformEnv(keys),
    SUPABASE_INTERNAL_JWT_SECRET: keys.jwtSecret,
    SUPABASE_INTERNAL_SIGNING_KEYS_PATH: keys.signingKeysPath,
  };
  if (opts.envFile) env.FUNCTIONS_ENV_FILE = opts.envFile;
  if (opts.restUrl) env.SUPABASE_INTERNAL_REST_URL = opts.restUrl;
  if (opts.secretOverrides) {
    env.SUPABASE_INTERNAL_SECRET_OVERRIDES = JSON.stringify(opts.secretOverrides);
  }
  const script = join(root, "scripts", "functions-serve.ts");
  const pid = await startService("the API gateway", [bin("deno"), "run", "-A", script], {
    env,
    logFile: opts.logFile,
    ready: () => portOpen(port),
  });
  return { port, pid };
}

/** The fake Stripe API (scripts/fake-stripe-server.ts) as a service of the local stack. */
export async function startFakeStripeServer(port: number, logFile: string): Promise<number> {
  const script = join(root, "scripts", "fake-stripe-server.ts");
  return await startService(
    "the fake Stripe API",
    [bin("deno"), "run", "-A", script, "--port", String(port)],
    { env: { ...Deno.env.toObject(), NO_COLOR: "1" }, logFile, ready: () => portOpen(port) },
  );
}

export function stopProcess(pid: number): void {
  try {
    Deno.kill(-pid, "SIGTERM"); // its whole session (setsid made it the leader)
  } catch {
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* already gone */ }
  }
}

/** Waits (up to `ms`) until nothing listens on the port any more, e.g. after stopProcess. */
export async function waitPortFree(port: number, ms = 5000): Promise<void> {
  for (let waited = 0; waited < ms && (await portOpen(port)); waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What `npm run status` prints in local mode: the names `supabase status -o env` uses (API_URL,
 * REST_URL, FUNCTIONS_URL, DB_URL, PUBLISHABLE_KEY, SECRET_KEY, and the legacy ANON_KEY,
 * SERVICE_ROLE_KEY and JWT_SECRET), the JWKS URL, the ports, and the SUPABASE_* names the
 * functions, the tests and our scripts read.
 */
export async function statusEnv(
  c: Cluster,
  apiPort: number,
  postgrest?: { port: number; adminPort: number },
): Promise<Record<string, string>> {
  const keys = await stackKeys();
  const api = `http://127.0.0.1:${apiPort}`;
  return {
    API_URL: api,
    REST_URL: `${api}/rest/v1`,
    FUNCTIONS_URL: `${api}/functions/v1`,
    DB_URL: url(c),
    PUBLISHABLE_KEY: keys.publishable,
    SECRET_KEY: keys.secret,
    JWKS_URL: jwksUrl(api),
    ANON_KEY: keys.anon,
    SERVICE_ROLE_KEY: keys.serviceRole,
    JWT_SECRET: keys.jwtSecret,
    SIGNING_KEYS_PATH: keys.signingKeysPath,
    API_PORT: String(apiPort),
    DB_PORT: String(c.port),
    POSTGREST_URL: postgrest ? `http://127.0.0.1:${postgrest.port}` : "",
    POSTGREST_PORT: postgrest ? String(postgrest.port) : "",
    POSTGREST_ADMIN_PORT: postgrest ? String(postgrest.adminPort) : "",
    ...supabaseAliases({
      api,
      db: url(c),
      publishable: keys.publishable,
      secretKey: keys.secret,
      anon: keys.anon,
      service: keys.serviceRole,
      jwtSecret: keys.jwtSecret,
    }),
    MODE: "local",
  };
}

/** Where the stack (and Supabase) serves the signing keys' public JWKS. */
export const jwksUrl = (api: string) => `${api.replace(/\/$/, "")}/auth/v1/.well-known/jwks.json`;

/** The SUPABASE_* names the platform gives functions, and that our tests and scripts read. */
export function supabaseAliases(
  v: {
    api?: string;
    db?: string;
    publishable?: string;
    secretKey?: string;
    anon?: string;
    service?: string;
    jwtSecret?: string;
  },
): Record<string, string> {
  return {
    SUPABASE_URL: v.api ?? "",
    SUPABASE_DB_URL: v.db ?? "",
    SUPABASE_PUBLISHABLE_KEY: v.publishable ?? "",
    SUPABASE_SECRET_KEY: v.secretKey ?? "",
    SUPABASE_ANON_KEY: v.anon ?? "",
    SUPABASE_SERVICE_ROLE_KEY: v.service ?? "",
    SUPABASE_JWT_SECRET: v.jwtSecret ?? JWT_SECRET,
  };
}

/** KEY="value" lines, as `supabase status -o env` prints them. */
export const envLines = (env: Record<string, string>) =>
  Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n");

/** Parses KEY=value / KEY="value" lines (ours and the CLI's). */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(?:"(.*)"|(.*))$/);
    if (m) env[m[1]] = m[2] !== undefined ? JSON.parse(`"${m[2]}"`) : m[3];
  }
  return env;
}
