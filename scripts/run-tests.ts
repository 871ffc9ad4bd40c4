// `npm test`: brings up a throwaway stack on free ports, runs every check against it, tears it
// down (also on failure or Ctrl-C), and ends with the line `N passed, N failed`.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { stackKeys } from "./lib/keys.ts";
import { cliEnv, type GatewayProcess, startGateway, stopProcess } from "./lib/local-stack.ts";
import { throwawayCredentialsKeys } from "./lib/local-credentials.ts";
import { type PostgrestProcess, reloadSchema, startPostgrest } from "./lib/postgrest.ts";
import { bin, root, supabaseDir, typesFile } from "./lib/paths.ts";
import { adminUrl, PASSWORD, psql, query, url } from "./lib/postgres.ts";
import { CommandError, paint, run } from "./lib/proc.ts";
import { type Throwaway, throwawayDatabase } from "./lib/throwaway.ts";
import { generateTypes } from "./lib/types.ts";
import { readSigningKeys, SIGNING_KEYS_PATH_ENV } from "./lib/signing-keys.ts";
import { extractRecipes } from "./lib/recipes.ts";

interface Count {
  passed: number;
  failed: number;
}
const total: Count = { passed: 0, failed: 0 };
const green = (s: string) => paint(32, s);
const red = (s: string) => paint(31, s);

/** Runs one step. A step returns its own counts (test suites) or counts as one test. */
async function step(name: string, fn: () => Promise<Count | void>): Promise<boolean> {
  const t0 = performance.now();
  console.log(`\n── ${name}`);
  let count: Count;
  let output = "";
  try {
    count = (await fn()) ?? { passed: 1, failed: 0 };
  } catch (e) {
    count = { passed: 0, failed: 1 };
    output = e instanceof Error ? e.message : String(e);
  }
  total.passed += count.passed;
  total.failed += count.failed;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const summary = `${count.passed} passed, ${count.failed} failed (${secs}s)`;
  if (output) console.log(output);
  console.log(count.failed === 0 ? green(`✔ ${name}: ${summary}`) : red(`✖ ${name}: ${summary}`));
  return count.failed === 0;
}

function finish(): never {
  console.log(`\n${total.passed} passed, ${total.failed} failed`);
  Deno.exit(total.failed === 0 ? 0 : 1);
}

/** The suite's verdicts, and what the Open Badges recipes printed (their real results). */
function recipeSummary(out: string): string {
  let badge = false;
  return out.split("\n").filter((l) => {
    if (/^[›✖]/.test(l)) return true;
    if (/^✔/.test(l)) {
      badge = l.includes("Open Badge");
      return true;
    }
    return badge && /^\s+\| docs\/API\.md:\d+: /.test(l);
  }).join("\n");
}

/** A command that must succeed; the Supabase CLI reads the test stack's own signing key. */
const checked = async (cmd: string[], opts: { env?: Record<string, string> } = {}) => {
  const env = { ...cliEnv({ signingKeysPath: db?.signingKeysPath }), ...opts.env };
  const r = await run(cmd, { cwd: root, env });
  if (r.code !== 0) throw new CommandError(cmd, r);
  return r;
};

let db: Throwaway | undefined;
let gw: GatewayProcess | undefined;
let rest: PostgrestProcess | undefined;
let recipesDir: string | undefined;
const teardown = async () => {
  if (gw) stopProcess(gw.pid);
  gw = undefined;
  if (rest) stopProcess(rest.pid);
  rest = undefined;
  if (recipesDir) {
    await Deno.remove(recipesDir, { recursive: true }).catch(() => {});
    await Deno.remove(dirname(recipesDir)).catch(() => {}); // docs/examples, when it is empty
  }
  await db?.dispose();
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    console.error(`\n${signal}: tearing down the test stack`);
    await teardown();
    Deno.exit(130);
  });
}

try {
  // ---------------------------------------------------------------- the throwaway stack
  const up = await step(
    "throwaway stack: PostgreSQL 15, bootstrap, migrations and seed; PostgREST; API gateway",
    async () => {
      db = await throwawayDatabase();
      rest = await startPostgrest(db.cluster, {
        logFile: join(db.tmp, "postgrest.log"),
        signingKeys: readSigningKeys(db.signingKeysPath),
      });
      gw = await startGateway(db.cluster, {
        logFile: join(db.tmp, "functions.log"),
        signingKeysPath: db.signingKeysPath,
        restUrl: `http://127.0.0.1:${rest.port}`,
        // Open Badges set up with a key of its own, so their recipes run for real (the
        // credentials function's "not configured" answer is a Deno test's).
        secretOverrides: throwawayCredentialsKeys(),
      });
      await reloadSchema(db.cluster);
    },
  );
  if (!up || !db || !gw || !rest) {
    await teardown(); // finish() exits, so the `finally` below would not run
    finish();
  }
  const cluster = db.cluster;
  const admin = adminUrl(cluster);

  // ---------------------------------------------------------------- a. pgTAP
  // As `postgres`, the way `supabase test db` runs them on a Supabase stack: it creates pgtap (a
  // privileged extension, so supautils creates it as supabase_admin), runs pg_prove, and drops
  // pgtap again unless it was there before. Our helpers go in between, as `postgres` too.
  await step("a. pgTAP (pg_prove supabase/tests/database, as postgres)", async () => {
    const asPostgres = url(cluster);
    const hadPgtap = await query(
      asPostgres,
      "select count(*) from pg_extension where extname = 'pgtap'",
    );
    await psql(asPostgres, { sql: "create extension if not exists pgtap with schema extensions;" });
    let r;
    try {
      await psql(asPostgres, { file: join(supabaseDir, "tests", "setup", "helpers.sql") }, [
        "-o",
        "/dev/null",
      ]);
      const files = readdirSync(join(supabaseDir, "tests", "database"))
        .filter((f) => f.endsWith(".sql")).sort().map((f) =>
          join("supabase", "tests", "database", f)
        );
      r = await run([
        "pg_prove",
        "--verbose",
        "--host=127.0.0.1",
        `--port=${cluster.port}`,
        "--username=postgres",
        "--dbname=postgres",
        ...files,
      ], { cwd: root, env: { ...cliEnv(), PGPASSWORD: PASSWORD } });
    } finally {
      if (hadPgtap === "0") await psql(asPostgres, { sql: "drop extension if exists pgtap;" });
    }
    const out = r.stdout + r.stderr;
    const passed = out.match(/^\s*ok \d+/gm)?.length ?? 0;
    let failed = out.match(/^\s*not ok \d+/gm)?.length ?? 0;
    failed += out.match(/Bad plan|Non-zero exit status|No plan found/g)?.length ?? 0;
    if (r.code !== 0 && failed === 0) failed = 1;
    if (failed > 0) {
      console.log(out.split("\n").filter((l) => !/^\s*ok \d+/.test(l)).join("\n"));
    }
    return { passed, failed };
  });

  // ---------------------------------------------------------------- b. docs/API.md recipes
  // `npm run test:api` against this stack, right after pgTAP (which rolls back), so the recipes
  // meet the seed as the doc describes it; twice, once per key world, which also shows the suite
  // is repeatable against the same stack: publishable and secret keys with ES256 user tokens (the
  // default), then the legacy anon and service_role keys with HS256 ones. No Auth or Storage
  // server runs here: users get tokens minted as Auth mints them, and the suite's stand-ins answer
  // the few Auth and Storage calls.
  await step(
    "b. every docs/API.md recipe through supabase-js (npm run test:api), under both key worlds",
    async () => {
      const keys = await stackKeys({ path: db!.signingKeysPath });
      const count: Count = { passed: 0, failed: 0 };
      const worlds = [
        {
          name: "publishable/secret keys, ES256 tokens",
          args: [
            "--publishable-key",
            keys.publishable,
            "--secret-key",
            keys.secret,
            "--signing-keys",
            db!.signingKeysPath,
          ],
        },
        {
          name: "legacy anon/service_role keys, HS256 tokens",
          args: ["--anon-key", keys.anon, "--service-role-key", keys.serviceRole],
        },
      ];
      for (const world of worlds) {
        const r = await run([
          bin("deno"),
          "run",
          "-A",
          "scripts/test-api.ts",
          "--url",
          `http://127.0.0.1:${gw!.port}`,
          ...world.args,
          "--db-url",
          url(cluster),
          "--jwt-secret",
          keys.jwtSecret,
          "--verbose",
        ], { cwd: root, env: { ...cliEnv(), NO_COLOR: "1" } });
        const out = (r.stdout + r.stderr).trimEnd();
        const m = out.match(/^(\d+) passed, (\d+) failed$/m);
        const passed = m ? Number(m[1]) : 0;
        let failed = m ? Number(m[2]) : 0;
        if (r.code !== 0 && failed === 0) failed = 1;
        // The stack's functions have an Open Badges key: those recipes sign and verify for real.
        const badges = /^›.*, Open Badges set up[,;]/m.test(out);
        if (!badges) failed++;
        count.passed += passed;
        count.failed += failed;
        if (!badges) console.log(`${world.name}: the credentials function has no signing key`);
        if (failed > 0) console.log(`${world.name}:\n${out}`);
        else if (world === worlds[0]) console.log(recipeSummary(out));
        console.log(`${world.name}: ${passed} passed, ${failed} failed`);
      }
      return count;
    },
  );

  // ---------------------------------------------------------------- c. Deno tests
  await step(
    "c. Deno tests (functions, shared code, gateway) against the test database",
    async () => {
      const keys = await stackKeys({ path: db!.signingKeysPath });
      const r = await run([
        bin("deno"),
        "test",
        "-A",
        "--no-check",
        "supabase/functions",
        "scripts",
      ], {
        cwd: root,
        env: {
          ...cliEnv(),
          SUPABASE_DB_URL: url(cluster),
          SUPABASE_URL: `http://127.0.0.1:${gw!.port}`,
          REST_URL: `http://127.0.0.1:${gw!.port}/rest/v1`,
          POSTGREST_URL: `http://127.0.0.1:${rest!.port}`,
          FUNCTIONS_URL: `http://127.0.0.1:${gw!.port}/functions/v1`,
          JWKS_URL: `http://127.0.0.1:${gw!.port}/auth/v1/.well-known/jwks.json`,
          SUPABASE_PUBLISHABLE_KEY: keys.publishable,
          SUPABASE_SECRET_KEY: keys.secret,
          SUPABASE_ANON_KEY: keys.anon,
          SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
          SUPABASE_JWT_SECRET: keys.jwtSecret,
          [SIGNING_KEYS_PATH_ENV]: db!.signingKeysPath,
          NO_COLOR: "1",
        },
      });
      const out = r.stdout + r.stderr;
      const m = out.match(/^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/m);
      const passed = m ? Number(m[1]) : 0;
      let failed = m ? Number(m[2]) : 0;
      if (r.code !== 0 && failed === 0) failed = 1;
      console.log(
        failed > 0
          ? out
          : out.split("\n").filter((l) => / \.\.\. ok| \.\.\. FAILED|passed/.test(l)).join("\n"),
      );
      return { passed, failed };
    },
  );

  // ---------------------------------------------------------------- d, e. advisors and lint
  /** `supabase db <command> --db-url <admin> <flags>`; prints its verdict (its last line). */
  const supabaseDb = async (command: string, ...flags: string[]) => {
    const r = await checked([bin("supabase"), "db", command, "--db-url", admin, ...flags]);
    console.log(r.stdout.trim().split("\n").slice(-1)[0]);
  };
  await step(
    "d. supabase db advisors --type all --fail-on warn",
    () => supabaseDb("advisors", "--type", "all", "--fail-on", "warn"),
  );
  await step(
    "e. supabase db lint (plpgsql_check) --fail-on warning",
    () => supabaseDb("lint", "--fail-on", "warning"),
  );

  // ---------------------------------------------------------------- f. deno check, lint, fmt
  for (
    const [name, args] of [
      ["f. deno check", ["check", "supabase/functions", "scripts"]],
      ["f. deno lint", ["lint"]],
      ["f. deno fmt --check", ["fmt", "--check"]],
    ] as const
  ) {
    await step(name, async () => {
      await checked([bin("deno"), ...args]);
    });
  }

  // ---------------------------------------------------------------- g. generated types
  await step("g. committed database types match the schema", async () => {
    const fresh = await generateTypes(cluster, db!.signingKeysPath);
    const committed = existsSync(typesFile) ? await Deno.readTextFile(typesFile) : "";
    if (fresh !== committed) {
      const tmp = join(db!.tmp, "database.types.ts");
      await Deno.writeTextFile(tmp, fresh);
      const diff = await run(["diff", "-u", typesFile, tmp]);
      throw new Error(
        `${typesFile} is out of date; run \`npm run gen:types\`.\n${diff.stdout.slice(0, 4000)}`,
      );
    }
  });

  // ---------------------------------------------------------------- h. tsc over docs/API.md recipes
  await step(
    "h. tsc --noEmit over every docs/API.md recipe, typed with the generated Database",
    async () => {
      recipesDir = await extractRecipes();
      await checked([bin("tsc"), "--noEmit", "-p", "tsconfig.json"]);
    },
  );

  // ---------------------------------------------------------------- i. config.toml
  await step("i. the real CLI reads supabase/config.toml without warnings", async () => {
    // No Docker daemon at that address, so `supabase start` stops right after reading the config.
    const r = await run([bin("supabase"), "start"], {
      cwd: root,
      env: {
        ...cliEnv({ signingKeysPath: db!.signingKeysPath }),
        DOCKER_HOST: "unix:///nonexistent/docker.sock",
      },
    });
    const out = r.stdout + r.stderr;
    if (/warn|unknown|no longer supported|deprecated|invalid/i.test(out)) throw new Error(out);
    if (!/docker/i.test(out)) throw new Error(`expected the CLI to stop at Docker:\n${out}`);
  });
} finally {
  await teardown();
}
finish();
