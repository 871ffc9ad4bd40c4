// The recipe suite: every ```ts recipe of docs/API.md, run through supabase-js against a stack as
// the persona its first line names, its stated outputs compared with what it printed
// (scripts/lib/recipes.ts says how a recipe states them). `npm run test:api` runs it against any
// stack; `npm test` against its throwaway stack.
//
// Each recipe runs in its own Deno process (scripts/lib/recipe-sandbox.ts), in document order, so
// a recipe may rely on what an earlier one did, and none sees another's client. Its
// `./client.ts` is the doc's client for its persona (scripts/lib/recipe-client.ts): anon, or a
// user signed in with `auth.signInWithPassword` where the stack has an Auth server
// (`GET <url>/auth/v1/health` answers), else with an access token minted as Auth mints it
// (scripts/lib/access-token.ts: needs the database URL and the JWT secret). Without Auth or
// Storage servers, the recipes' calls to them go to scripts/lib/recipe-stand-ins.ts.
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import { accessToken, asAuthServer } from "./access-token.ts";
import type { SigningJwk } from "./signing-keys.ts";
import { root } from "./paths.ts";
import type { RecipePersona } from "./recipe-client.ts";
import type { RecipeResult } from "./recipe-sandbox.ts";
import { type StandIns, startStandIns } from "./recipe-stand-ins.ts";
import {
  apiDoc,
  conditionHolds,
  isModule,
  matchesExpectation,
  type ParsedRecipe,
  parseRecipe,
  type RecipeBlock,
  recipeBlocks,
  type StackFacts,
} from "./recipes.ts";

/** The seeded users' password (supabase/seed.sql). */
const SEED_PASSWORD = "Password123!";

export interface SuiteOptions {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** To mint tokens and serve the stand-ins where the stack has no Auth server. */
  dbUrl?: string;
  jwtSecret?: string;
  /** Mint ES256 tokens with this signing key (the current world) rather than HS256 ones. */
  signingKey?: SigningJwk;
  /** `location.origin` in the recipes: an origin the functions accept as a return URL. */
  siteUrl?: string;
  /** Only the recipes whose heading or line contains this. */
  filter?: string;
  /** Print every recipe's output, not only a failing one's. */
  verbose?: boolean;
  log?: (line: string) => void;
}

export interface SuiteResult {
  passed: number;
  failed: number;
}

export interface StackServices extends StackFacts {
  auth: boolean;
  storage: boolean;
}

async function answers(url: string, headers: HeadersInit): Promise<Response | null> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  } catch {
    return null;
  }
}

/**
 * What the stack runs: Auth and Storage servers, and whether Stripe and Zoom are set up for its
 * functions (a function that needs one answers any request 503 `<service>_not_configured` until
 * it is, before it reads the body).
 */
async function probeStack(opts: SuiteOptions): Promise<StackServices> {
  const headers = { apikey: opts.anonKey, authorization: `Bearer ${opts.anonKey}` };
  const auth = await answers(`${opts.url}/auth/v1/health`, headers);
  // Storage answers a bucket listing with JSON whatever it decides; a gateway without Storage has
  // no route for it (404).
  const storage = await answers(`${opts.url}/storage/v1/bucket`, headers);
  await auth?.body?.cancel();
  await storage?.body?.cancel();
  const configured = async (fn: string, code: string) => {
    const res = await fetch(`${opts.url}/functions/v1/${fn}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: "{}",
    });
    const body = await res.text();
    if (res.status === 404) throw new Error(`${opts.url}/functions/v1/${fn} is not deployed`);
    return !(res.status === 503 && body.includes(code));
  };
  return {
    auth: auth?.ok ?? false,
    storage: storage !== null && storage.status !== 404 && storage.status < 500,
    stripe: await configured("checkout", "stripe_not_configured"),
    zoom: await configured("zoom-join", "zoom_not_configured"),
    credentials: await configured("credentials", "credentials_not_configured"),
  };
}

/**
 * The recipes expect supabase/seed.sql's users and catalog: checked through the REST API with the
 * service role key (which RLS does not filter), so a missing seed or a wrong key fails first, once.
 */
async function checkSeeded(opts: SuiteOptions): Promise<void> {
  const ids = [
    "a0000000-0000-4000-8000-000000000001",
    "b0000000-0000-4000-8000-000000000001",
    "c0000000-0000-4000-8000-000000000001",
  ];
  const res = await fetch(`${opts.url}/rest/v1/profiles?select=id&id=in.(${ids.join(",")})`, {
    headers: { apikey: opts.serviceRoleKey, authorization: `Bearer ${opts.serviceRoleKey}` },
  });
  const body = await res.text();
  if (!res.ok) {
    throw new Error(
      `${opts.url}/rest/v1 refused the service role key (${res.status}): ${body.slice(0, 200)}`,
    );
  }
  if ((JSON.parse(body) as unknown[]).length !== ids.length) {
    throw new Error(
      `${opts.url} is not seeded with supabase/seed.sql (the recipes act as its users): ` +
        "supabase db reset, or supabase db push --include-seed",
    );
  }
}

/** Sessions for the personas, by email: a real sign-in, or a minted token. */
async function signIn(
  emails: string[],
  services: StackServices,
  opts: SuiteOptions,
): Promise<Map<string, RecipePersona["session"]>> {
  const sessions = new Map<string, RecipePersona["session"]>();
  if (emails.length === 0) return sessions;
  if (services.auth) {
    for (const email of emails) {
      const client = createClient(opts.url, opts.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      const { data, error } = await client.auth.signInWithPassword({
        email,
        password: SEED_PASSWORD,
      });
      if (error) throw new Error(`${email} could not sign in: ${error.message}`);
      sessions.set(email, {
        access_token: data.session.access_token,
        refresh_token: data.session.refresh_token,
      });
    }
    return sessions;
  }
  if (!opts.dbUrl || !opts.jwtSecret) {
    throw new Error(
      `no Auth server answers at ${opts.url}/auth/v1/health: pass --db-url and --jwt-secret to ` +
        "mint the personas' access tokens as Auth would",
    );
  }
  const key = opts.signingKey ?? opts.jwtSecret;
  await asAuthServer(opts.dbUrl, async (sql) => {
    for (const email of emails) {
      const { token } = await accessToken(sql, email, key, { issuer: `${opts.url}/auth/v1` });
      sessions.set(email, { access_token: token, refresh_token: "minted-by-the-recipe-suite" });
    }
  });
  return sessions;
}

interface Check {
  ok: boolean;
  messages: string[];
}

/** Compares what a recipe printed with what it states. */
export function checkRecipe(
  parsed: ParsedRecipe,
  result: RecipeResult,
  facts: StackFacts,
  docLine: number,
): Check {
  const messages: string[] = [];
  if (result.error) messages.push(`threw: ${result.error}`);
  for (const e of parsed.expectations) {
    if (!conditionHolds(e.when, facts)) continue;
    const at = `docs/API.md:${docLine + e.line - 1}`;
    const printed = result.outputs.find((o) => o.line === e.line && o.column === e.column);
    if (!printed) {
      messages.push(
        `${at} ${e.call}\n    expected: ${e.text}\n    printed:  nothing (not reached)`,
      );
    } else if (!matchesExpectation(e.text, printed.text)) {
      messages.push(`${at} ${e.call}\n    expected: ${e.text}\n    printed:  ${printed.text}`);
    }
  }
  return { ok: messages.length === 0, messages };
}

/** Runs one recipe in its own process; its result. */
async function runRecipe(
  dir: string,
  block: RecipeBlock,
  persona: RecipePersona,
  siteUrl: string,
): Promise<RecipeResult> {
  const recipeDir = join(dir, block.name.replace(/\.ts$/, ""));
  await Deno.mkdir(recipeDir, { recursive: true });
  const recipeFile = join(recipeDir, "recipe.ts");
  const resultFile = join(recipeDir, "result.json");
  await Deno.writeTextFile(recipeFile, block.code);
  await Deno.writeTextFile(
    join(recipeDir, "client.ts"),
    `export { supabase } from "${new URL("./recipe-client.ts", import.meta.url).href}";\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      "--config",
      join(root, "deno.json"),
      new URL("./recipe-sandbox.ts", import.meta.url).pathname,
      recipeFile,
      resultFile,
    ],
    cwd: recipeDir,
    env: { RECIPE_PERSONA: JSON.stringify(persona), RECIPE_SITE_URL: siteUrl, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  try {
    return JSON.parse(await Deno.readTextFile(resultFile));
  } catch {
    const dec = new TextDecoder();
    return {
      outputs: [],
      error: `the recipe's process ended (${out.code}${out.signal ? `, ${out.signal}` : ""}) ` +
        `without a result:\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`.trimEnd(),
    };
  }
}

export async function runRecipeSuite(opts: SuiteOptions): Promise<SuiteResult> {
  const log = opts.log ?? console.log;
  const siteUrl = opts.siteUrl ?? "http://localhost:3000";
  const blocks = recipeBlocks(await Deno.readTextFile(apiDoc)).filter((b) => !isModule(b));
  const recipes = blocks.map((block) => {
    try {
      return { block, parsed: parseRecipe(block.code), problem: null };
    } catch (e) {
      return { block, parsed: null, problem: e instanceof Error ? e.message : String(e) };
    }
  }).filter(({ block }) =>
    !opts.filter || `${block.heading} docs/API.md:${block.line}`.includes(opts.filter)
  );

  await checkSeeded(opts);
  const services = await probeStack(opts);
  log(
    `› ${opts.url}: Auth ${services.auth ? "server" : "stand-in"}, Storage ${
      services.storage ? "server" : "stand-in"
    }, Stripe ${services.stripe ? "set up" : "not set up"}, Zoom ${
      services.zoom ? "set up" : "not set up"
    }, Open Badges ${services.credentials ? "set up" : "not set up"}; users ${
      services.auth
        ? `sign in with auth.signInWithPassword`
        : "get access tokens minted as Auth mints them"
    }`,
  );
  const emails = [
    ...new Set(recipes.map((r) => r.parsed?.persona.email).filter((e): e is string => !!e)),
  ];
  const sessions = await signIn(emails, services, opts);

  let standIns: StandIns | undefined;
  const missing = [...(services.auth ? [] : ["auth"]), ...(services.storage ? [] : ["storage"])];
  if (missing.length) {
    if (!opts.dbUrl || !opts.jwtSecret) {
      throw new Error(
        `the stack has no ${missing.join(" or ")} server: pass --db-url and --jwt-secret`,
      );
    }
    standIns = startStandIns({
      dbUrl: opts.dbUrl,
      jwtSecret: opts.jwtSecret,
      signingKey: opts.signingKey,
    });
  }

  const dir = await Deno.makeTempDir({ prefix: "coursebase-recipes-" });
  const result: SuiteResult = { passed: 0, failed: 0 };
  // Interrupted (Ctrl-C, a CI timeout): leave nothing behind either.
  const interrupted = async () => {
    await standIns?.close().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    Deno.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, interrupted);
  try {
    for (const { block, parsed, problem } of recipes) {
      const name = `docs/API.md:${block.line} ${block.heading}`;
      if (!parsed) {
        result.failed++;
        log(`✖ ${name}\n    ${problem}`);
        continue;
      }
      const t0 = performance.now();
      const persona: RecipePersona = {
        url: opts.url,
        anonKey: opts.anonKey,
        session: parsed.persona.email ? sessions.get(parsed.persona.email)! : null,
        standIn: standIns ? { url: standIns.url, services: missing } : null,
      };
      const run = await runRecipe(dir, block, persona, siteUrl);
      const check = checkRecipe(parsed, run, services, block.line);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      const title = `${name}, as ${parsed.persona.label} (${secs}s)`;
      if (check.ok) {
        result.passed++;
        log(`✔ ${title}`);
      } else {
        result.failed++;
        log(`✖ ${title}`);
        for (const m of check.messages) log(`    ${m.replaceAll("\n", "\n    ")}`);
      }
      if (!check.ok || opts.verbose) {
        for (const o of run.outputs) log(`      | ${docLine(block, o.line)}: ${o.text}`);
      }
    }
  } finally {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, interrupted);
    }
    await standIns?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return result;
}

const docLine = (block: RecipeBlock, line: number) => `docs/API.md:${block.line + line - 1}`;
