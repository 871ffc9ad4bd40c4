// The local stack: `npm start`, `npm stop`, `npm run status`, `npm run db:reset`.
// With a working Docker engine it drives `supabase start`; without one it runs Debian's
// PostgreSQL 15 with our platform bootstrap, and serves the functions with Deno.
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createDatabase,
  ensureRunning,
  pushMigrations,
  startGateway,
  statusEnv,
  stopProcess,
  supabase,
} from "./lib/local-stack.ts";
import { localDir } from "./lib/paths.ts";
import { type Cluster, ensurePackages, isRunning, stopCluster } from "./lib/postgres.ts";
import { log, portOpen, run } from "./lib/proc.ts";

interface State {
  mode: "local";
  functionsPid?: number;
}

const cluster: Cluster = {
  dir: join(localDir, "db"),
  port: Number(Deno.env.get("SUPABASE_DB_PORT") ?? 54322),
};
const functionsPort = Number(Deno.env.get("SUPABASE_FUNCTIONS_PORT") ?? 54321);
const stateFile = join(localDir, "stack.json");
const gatewayLog = join(localDir, "functions.log");

const readState = (): State | null =>
  existsSync(stateFile) ? JSON.parse(Deno.readTextFileSync(stateFile)) : null;
const writeState = (s: State) => Deno.writeTextFileSync(stateFile, JSON.stringify(s, null, 2));

async function dockerAvailable(): Promise<boolean> {
  const forced = Deno.env.get("SUPABASE_STACK");
  if (forced === "local") return false;
  if (forced === "docker") return true;
  try {
    return (await run(["docker", "info"])).code === 0;
  } catch {
    return false; // no docker client at all
  }
}

async function printStatus(): Promise<boolean> {
  if (!(await isRunning(cluster))) {
    console.error("The local stack is not running. Start it with `npm start`.");
    return false;
  }
  const env = await statusEnv(cluster, functionsPort, "local");
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
  return true;
}

async function gatewayUp(): Promise<boolean> {
  return await portOpen(functionsPort);
}

async function serveFunctions() {
  const state = readState();
  if (state?.functionsPid) stopProcess(state.functionsPid);
  const gw = await startGateway(cluster, { port: functionsPort, logFile: gatewayLog });
  writeState({ mode: "local", functionsPid: gw.pid });
}

async function start() {
  if (await dockerAvailable()) {
    log("Docker is available: running `supabase start`");
    await supabase(["start"], { inherit: true });
    await dockerStatus();
    return;
  }
  if ((await isRunning(cluster)) && (await gatewayUp())) {
    await printStatus();
    return;
  }
  await ensurePackages();
  await Deno.mkdir(localDir, { recursive: true });
  if (!existsSync(join(cluster.dir, "data", "PG_VERSION"))) {
    await createDatabase(cluster);
  } else {
    await ensureRunning(cluster);
    log("applying pending migrations (supabase db push)");
    await pushMigrations(cluster);
  }
  if (!(await gatewayUp())) await serveFunctions();
  log(`functions: http://127.0.0.1:${functionsPort}/functions/v1/<name> (log: ${gatewayLog})`);
  await printStatus();
}

async function stop() {
  if (await dockerAvailable()) {
    await supabase(["stop"], { inherit: true });
    return;
  }
  const state = readState();
  if (state?.functionsPid) stopProcess(state.functionsPid);
  if (existsSync(stateFile)) Deno.removeSync(stateFile);
  await stopCluster(cluster);
  log("stopped (data kept in .local/db; `npm run db:reset` rebuilds it)");
}

/** `supabase status -o env`, renamed to the keys local mode prints. */
async function dockerStatus() {
  const r = await supabase(["status", "-o", "env"]);
  const cli: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const m = line.match(/^([A-Z_]+)=(?:"(.*)"|(.*))$/);
    if (m) cli[m[1]] = m[2] ?? m[3];
  }
  const env = {
    SUPABASE_URL: cli.API_URL,
    SUPABASE_DB_URL: cli.DB_URL,
    SUPABASE_ANON_KEY: cli.ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: cli.SERVICE_ROLE_KEY,
    SUPABASE_JWT_SECRET: cli.JWT_SECRET,
    FUNCTIONS_URL: cli.FUNCTIONS_URL ?? (cli.API_URL && `${cli.API_URL}/functions/v1`),
    MODE: "docker",
  };
  for (const [k, v] of Object.entries(env)) console.log(`${k}=${v ?? ""}`);
}

async function reset() {
  if (await dockerAvailable()) {
    await supabase(["db", "reset"], { inherit: true });
    return;
  }
  await ensurePackages();
  const state = readState();
  if (state?.functionsPid) stopProcess(state.functionsPid);
  await stopCluster(cluster);
  await Deno.remove(cluster.dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(localDir, { recursive: true });
  await createDatabase(cluster);
  await serveFunctions();
  await printStatus();
}

const commands: Record<string, () => Promise<unknown>> = {
  start,
  stop,
  reset,
  status: async () => {
    if (await dockerAvailable()) return await dockerStatus();
    if (!(await printStatus())) Deno.exit(1);
  },
};

const cmd = Deno.args[0];
if (!commands[cmd]) {
  console.error(`usage: stack.ts ${Object.keys(commands).join("|")}`);
  Deno.exit(2);
}
try {
  await commands[cmd]();
} catch (e) {
  console.error(`\n✖ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
