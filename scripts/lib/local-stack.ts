// Building a Supabase-like database from scratch: cluster, platform bootstrap, migrations, seed.
// Shared by `npm start` (the dev stack) and `npm test` (a throwaway stack).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { apiKeys, JWT_SECRET } from "./keys.ts";
import { bin, root } from "./paths.ts";
import {
  adminUrl,
  type Cluster,
  initCluster,
  isRunning,
  psql,
  startCluster,
  url,
} from "./postgres.ts";
import { freePort, log, must, portOpen } from "./proc.ts";

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

export const cliEnv = () => ({ ...Deno.env.toObject(), PGSSLMODE: "disable", DO_NOT_TRACK: "1" });

/** The Supabase CLI, from node_modules, run in the project root. */
export async function supabase(args: string[], opts: { inherit?: boolean } = {}) {
  return await must([bin("supabase"), ...args], { cwd: root, env: cliEnv(), ...opts });
}

/** Applies pending migrations and the seed, as `postgres`, with the real CLI. */
export async function pushMigrations(c: Cluster): Promise<void> {
  await supabase(["db", "push", "--db-url", url(c), "--include-seed", "--yes"]);
}

/** A fresh cluster with the platform bootstrap, our migrations and the seed. */
export async function createDatabase(c: Cluster, opts: { ephemeral?: boolean } = {}) {
  log(`creating a PostgreSQL cluster in ${c.dir}`);
  await initCluster(c);
  await startCluster(c, opts);
  log("applying the Supabase platform bootstrap");
  await bootstrap(c);
  log("applying migrations and seed (supabase db push)");
  await pushMigrations(c);
}

export async function ensureRunning(c: Cluster, opts: { ephemeral?: boolean } = {}) {
  if (!(await isRunning(c))) await startCluster(c, opts);
}

export interface GatewayProcess {
  port: number;
  pid: number;
}

/** Starts the functions gateway in its own session, logging to `logFile`, and waits for it. */
export async function startGateway(
  c: Cluster,
  opts: { port?: number; logFile: string; envFile?: string },
): Promise<GatewayProcess> {
  const port = opts.port ?? freePort();
  const keys = await apiKeys();
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    FUNCTIONS_PORT: String(port),
    SUPABASE_URL: `http://127.0.0.1:${port}`,
    SUPABASE_DB_URL: url(c),
    SUPABASE_ANON_KEY: keys.anon,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
    SUPABASE_INTERNAL_JWT_SECRET: JWT_SECRET,
  };
  if (opts.envFile) env.FUNCTIONS_ENV_FILE = opts.envFile;
  const script = join(root, "scripts", "functions-serve.ts");
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", `exec "$0" run -A "$1" >>"$2" 2>&1`, bin("deno"), script, opts.logFile],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  for (let i = 0; i < 300; i++) {
    if (await portOpen(port)) return { port, pid: child.pid };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the functions gateway did not start; see ${opts.logFile}`);
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

export async function statusEnv(c: Cluster, functionsPort: number, mode: "local" | "docker") {
  const keys = await apiKeys();
  const functionsUrl = `http://127.0.0.1:${functionsPort}/functions/v1`;
  return {
    SUPABASE_URL: `http://127.0.0.1:${functionsPort}`,
    SUPABASE_DB_URL: url(c),
    SUPABASE_ANON_KEY: keys.anon,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
    SUPABASE_JWT_SECRET: JWT_SECRET,
    FUNCTIONS_URL: functionsUrl,
    MODE: mode,
  };
}
