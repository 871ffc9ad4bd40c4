// The local stack: `npm start`, `npm stop`, `npm run status`, `npm run db:reset`.
// With a working Docker engine it drives `supabase start`; without one it runs Debian's
// PostgreSQL 15 with our platform bootstrap, PostgREST, and the API gateway (functions on Deno,
// /rest/v1 proxied to PostgREST).
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createDatabase,
  ensureProjectSigningKeys,
  ensureRunning,
  envLines,
  jwksUrl,
  parseEnvLines,
  pushMigrations,
  startFakeStripeServer,
  startGateway,
  statusEnv,
  stopProcess,
  supabase,
  supabaseAliases,
  waitPortFree,
} from "./lib/local-stack.ts";
import { localCredentialsOverride } from "./lib/local-credentials.ts";
import { FAKE_STRIPE_PORT, fakeStripeEnv, stackFunctionSecrets } from "./lib/local-stripe.ts";
import { stackKeys } from "./lib/keys.ts";
import { localDir } from "./lib/paths.ts";
import { type Cluster, ensurePackages, isRunning, stopCluster } from "./lib/postgres.ts";
import {
  type PostgrestProcess,
  postgrestReady,
  reloadSchema,
  startPostgrest,
} from "./lib/postgrest.ts";
import { log, portOpen, run } from "./lib/proc.ts";

interface State {
  mode: "local";
  functionsPid?: number;
  postgrest?: PostgrestProcess;
  /** The fake Stripe API, when Stripe is not configured for the functions. */
  fakeStripePid?: number;
  /** The public JWKS PostgREST and the gateway were started with (a changed key restarts them). */
  jwks?: string;
}

const cluster: Cluster = {
  dir: join(localDir, "db"),
  port: Number(Deno.env.get("SUPABASE_DB_PORT") ?? 54322),
};
const apiPort = Number(Deno.env.get("SUPABASE_FUNCTIONS_PORT") ?? 54321);
const stateFile = join(localDir, "stack.json");
const gatewayLog = join(localDir, "functions.log");
const postgrestLog = join(localDir, "postgrest.log");
const fakeStripeLog = join(localDir, "fake-stripe.log");

const readState = (): State =>
  existsSync(stateFile) ? JSON.parse(Deno.readTextFileSync(stateFile)) : { mode: "local" };
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
  const { postgrest } = readState();
  const restUp = !!postgrest && (await postgrestReady(postgrest.adminPort));
  if (!restUp) console.error("PostgREST is not running: `npm start` starts it.");
  if (!(await portOpen(apiPort))) console.error("The API gateway is not running: `npm start`.");
  const stripe: Record<string, string> = stackFunctionSecrets().fakeStripe
    ? { FAKE_STRIPE_URL: `http://127.0.0.1:${FAKE_STRIPE_PORT}` }
    : {};
  console.log(
    envLines({ ...(await statusEnv(cluster, apiPort, restUp ? postgrest : undefined)), ...stripe }),
  );
  return true;
}

const restUp = async (s: State) => !!s.postgrest && (await postgrestReady(s.postgrest.adminPort));

/** The signing keys as PostgREST and the gateway know them: their public JWKS. */
const currentJwks = async () => JSON.stringify((await stackKeys()).jwks);

/**
 * Starts whatever of PostgREST and the gateway is not running. A new PostgREST gets new ports,
 * so the gateway is restarted with it.
 */
async function serveApi(opts: { restart?: boolean } = {}) {
  const state = readState();
  const keys = await stackKeys();
  // Started before the signing key existed, or with another one: both must restart to use it.
  const jwks = JSON.stringify(keys.jwks);
  if (state.jwks !== jwks && (state.postgrest || state.functionsPid)) {
    if (state.jwks === undefined) log("restarting PostgREST and the gateway with the signing key");
    else log("the signing keys changed: restarting PostgREST and the gateway");
    opts = { ...opts, restart: true };
  }
  let restartGateway = opts.restart || !(await portOpen(apiPort));
  if (opts.restart || !(await restUp(state))) {
    if (state.postgrest) stopProcess(state.postgrest.pid);
    state.postgrest = await startPostgrest(cluster, {
      logFile: postgrestLog,
      signingKeys: keys.signingKeys,
    });
    writeState(state);
    restartGateway = true;
  }
  // Stripe not configured for the functions: they pay through the stack's fake Stripe API.
  const secrets = stackFunctionSecrets();
  if (secrets.fakeStripe && !(await portOpen(FAKE_STRIPE_PORT))) {
    state.fakeStripePid = await startFakeStripeServer(FAKE_STRIPE_PORT, fakeStripeLog);
    writeState(state);
    log(
      `Stripe is not configured: the functions use the fake Stripe API on port ${FAKE_STRIPE_PORT}`,
    );
  }
  // No Open Badges key in the functions' secrets: they sign with the stack's dev key.
  const credentials = await localCredentialsOverride(secrets.env);
  if (credentials?.created) log(`created the local Open Badges signing key in ${credentials.path}`);
  if (restartGateway) {
    if (credentials) {
      log(
        `Open Badges: CREDENTIALS_SIGNING_KEYS is not set, the functions sign with ${credentials.path}`,
      );
    }
    if (state.functionsPid) stopProcess(state.functionsPid);
    await waitPortFree(apiPort);
    const gw = await startGateway(cluster, {
      port: apiPort,
      logFile: gatewayLog,
      signingKeysPath: keys.signingKeysPath,
      restUrl: `http://127.0.0.1:${state.postgrest!.port}`,
      secretOverrides: {
        ...(secrets.fakeStripe ? fakeStripeEnv() : {}),
        ...(credentials?.env ?? {}),
      },
    });
    state.functionsPid = gw.pid;
  }
  state.jwks = jwks;
  writeState(state);
  await reloadSchema(cluster);
}

function stopApi() {
  const state = readState();
  if (state.functionsPid) stopProcess(state.functionsPid);
  if (state.postgrest) stopProcess(state.postgrest.pid);
  if (state.fakeStripePid) stopProcess(state.fakeStripePid);
  if (existsSync(stateFile)) Deno.removeSync(stateFile);
}

async function start() {
  // The CLI (supabase start, db push) needs the signing key config.toml names; the stack signs
  // with it too.
  await ensureProjectSigningKeys();
  if (await dockerAvailable()) {
    log("Docker is available: running `supabase start`");
    await supabase(["start"], { inherit: true });
    await dockerStatus();
    return;
  }
  const state = readState();
  if (
    (await isRunning(cluster)) && (await portOpen(apiPort)) && (await restUp(state)) &&
    state.jwks === (await currentJwks())
  ) {
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
  await serveApi();
  log(`REST: http://127.0.0.1:${apiPort}/rest/v1 (PostgREST log: ${postgrestLog})`);
  log(`functions: http://127.0.0.1:${apiPort}/functions/v1/<name> (log: ${gatewayLog})`);
  await printStatus();
}

async function stop() {
  if (await dockerAvailable()) {
    await ensureProjectSigningKeys(); // the CLI reads it before doing anything
    await supabase(["stop"], { inherit: true });
    return;
  }
  stopApi();
  await stopCluster(cluster);
  log("stopped (data kept in .local/db; `npm run db:reset` rebuilds it)");
}

/**
 * Docker mode: `supabase status -o env` as the CLI prints it (API_URL, REST_URL, DB_URL, keys...;
 * PostgREST's port stays inside Docker's network), plus the SUPABASE_* names and MODE. Not
 * exercised here (no Docker engine on our machines); kept to a pass-through.
 */
async function dockerStatus() {
  await ensureProjectSigningKeys();
  const cli = parseEnvLines((await supabase(["status", "-o", "env"])).stdout);
  const aliases = supabaseAliases({
    api: cli.API_URL,
    db: cli.DB_URL,
    publishable: cli.PUBLISHABLE_KEY,
    secretKey: cli.SECRET_KEY,
    anon: cli.ANON_KEY,
    service: cli.SERVICE_ROLE_KEY,
    jwtSecret: cli.JWT_SECRET,
  });
  const jwks: Record<string, string> = cli.API_URL ? { JWKS_URL: jwksUrl(cli.API_URL) } : {};
  console.log(envLines({ ...cli, ...jwks, ...aliases, MODE: "docker" }));
}

async function reset() {
  await ensureProjectSigningKeys();
  if (await dockerAvailable()) {
    await supabase(["db", "reset"], { inherit: true });
    return;
  }
  await ensurePackages();
  stopApi();
  await stopCluster(cluster);
  await Deno.remove(cluster.dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(localDir, { recursive: true });
  await createDatabase(cluster);
  await serveApi({ restart: true });
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
