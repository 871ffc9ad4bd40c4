// `npm run test:api -- [--url URL --anon-key KEY --service-role-key KEY] [--db-url URL]
//   [--jwt-secret SECRET] [--signing-keys PATH] [--legacy] [--site-url URL] [--filter TEXT]
//   [--verbose]`
//
// Runs every recipe of docs/API.md through supabase-js against a stack, as the persona each names,
// and checks what it prints (scripts/lib/recipe-suite.ts). Any stack: the local one (the default:
// URL, keys, database URL and JWT secret from `npm run status`), `supabase start` in Docker, or a
// hosted project seeded with supabase/seed.sql. Where an Auth server answers, the seeded users
// sign in with their password; otherwise their tokens are minted as Auth mints them, which needs
// --db-url and --jwt-secret: HS256 tokens, or ES256 ones signed with --signing-keys (a signing keys
// file in the CLI's format). --publishable-key and --secret-key are accepted for --anon-key and
// --service-role-key. Against the local stack, the default is the current world (its publishable
// and secret keys, ES256 tokens with its signing key); --legacy takes the legacy anon and
// service_role keys and HS256 tokens. Ends with `N passed, N failed` and exits 1 when any failed.
import { join } from "node:path";
import { root } from "./lib/paths.ts";
import { paint, run } from "./lib/proc.ts";
import { runRecipeSuite, type SuiteOptions } from "./lib/recipe-suite.ts";
import { readSigningKeys, signingKeysPath } from "./lib/signing-keys.ts";
import { parseStatus } from "./lib/stack-env.ts";

const FLAGS: Record<string, keyof Options> = {
  "--url": "url",
  "--anon-key": "anonKey",
  "--publishable-key": "anonKey",
  "--service-role-key": "serviceRoleKey",
  "--secret-key": "serviceRoleKey",
  "--db-url": "dbUrl",
  "--jwt-secret": "jwtSecret",
  "--site-url": "siteUrl",
  "--filter": "filter",
  "--signing-keys": "signingKeysPath",
};

type Options =
  & Omit<SuiteOptions, "url" | "anonKey" | "serviceRoleKey" | "verbose" | "log" | "signingKey">
  & { url?: string; anonKey?: string; serviceRoleKey?: string; signingKeysPath?: string };

const usage = () => {
  console.error(
    "usage: npm run test:api -- [--url URL --anon-key KEY --service-role-key KEY] [--db-url URL]\n" +
      "         [--jwt-secret SECRET] [--signing-keys PATH] [--legacy] [--site-url URL]\n" +
      "         [--filter TEXT] [--verbose]\n" +
      "  (--publishable-key and --secret-key are the same as --anon-key and --service-role-key;\n" +
      "   without --url, everything comes from `npm run status`)",
  );
  Deno.exit(2);
};

function parseArgs(args: string[]): { opts: Options; verbose: boolean; legacy: boolean } {
  const opts: Options = {};
  let verbose = false;
  let legacy = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    if (flag === "--verbose" || flag === "--legacy") {
      if (flag === "--verbose") verbose = true;
      else legacy = true;
      continue;
    }
    if (flag === "--help" || flag === "-h") usage();
    const key = FLAGS[flag];
    if (!key) {
      console.error(`unknown argument: ${args[i]}`);
      usage();
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === "") {
      console.error(`${flag} needs a value`);
      usage();
    }
    opts[key] = value;
  }
  return { opts, verbose, legacy };
}

/** `npm run status`'s values, or null when no local stack runs. */
async function localStatus(): Promise<Record<string, string> | null> {
  const r = await run([Deno.execPath(), "run", "-A", join(root, "scripts", "stack.ts"), "status"], {
    cwd: root,
  });
  if (r.code !== 0) return null;
  const s = parseStatus(r.stdout);
  return s.API_URL || s.SUPABASE_URL ? s : null;
}

const { opts, verbose, legacy } = parseArgs(Deno.args);
// The local stack fills in what is not given, and only for itself.
const status = !opts.url || !opts.anonKey || !opts.serviceRoleKey || !opts.dbUrl || !opts.jwtSecret
  ? await localStatus()
  : null;
const statusUrl = status ? (status.SUPABASE_URL || status.API_URL) : undefined;
if (status && (!opts.url || opts.url.replace(/\/$/, "") === statusUrl)) {
  opts.url ??= statusUrl;
  if (legacy) {
    opts.anonKey ??= status.SUPABASE_ANON_KEY || status.ANON_KEY;
    opts.serviceRoleKey ??= status.SUPABASE_SERVICE_ROLE_KEY || status.SERVICE_ROLE_KEY;
  } else {
    opts.anonKey ??= status.SUPABASE_PUBLISHABLE_KEY || status.PUBLISHABLE_KEY;
    opts.serviceRoleKey ??= status.SUPABASE_SECRET_KEY || status.SECRET_KEY;
    opts.signingKeysPath ??= signingKeysPath() ?? undefined;
  }
  opts.dbUrl ??= status.SUPABASE_DB_URL || status.DB_URL;
  opts.jwtSecret ??= status.SUPABASE_JWT_SECRET || status.JWT_SECRET;
}
if (!opts.url || !opts.anonKey || !opts.serviceRoleKey) {
  console.error(
    "✖ no stack: pass --url, --anon-key and --service-role-key, or start the local one (npm start)",
  );
  Deno.exit(2);
}

const green = (s: string) => paint(32, s);
const red = (s: string) => paint(31, s);
try {
  const { signingKeysPath: keysFile, ...suiteOpts } = opts;
  const result = await runRecipeSuite({
    ...suiteOpts,
    signingKey: keysFile && !legacy ? readSigningKeys(keysFile)[0] : undefined,
    url: opts.url.replace(/\/$/, ""),
    anonKey: opts.anonKey,
    serviceRoleKey: opts.serviceRoleKey,
    verbose,
    log: (line) =>
      console.log(line.startsWith("✔") ? green(line) : line.startsWith("✖") ? red(line) : line),
  });
  console.log(`\n${result.passed} passed, ${result.failed} failed`);
  Deno.exit(result.failed === 0 ? 0 : 1);
} catch (e) {
  console.error(`✖ ${e instanceof Error ? e.message : e}`);
  console.log(`\n0 passed, 1 failed`);
  Deno.exit(1);
}
