// The local API gateway: serves the edge functions at http://127.0.0.1:<port>/functions/v1/<name>,
// the way `supabase functions serve` does behind Kong, and proxies /rest/v1 to PostgREST (at
// SUPABASE_INTERNAL_REST_URL) with Kong's key-auth, and serves the JWKS. Started by the stack
// scripts, which pass the platform variables in the environment.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { listFunctions, parseDotenv } from "./lib/functions-config.ts";
import { gateway } from "./lib/gateway.ts";
import { localFunctionEnv } from "./lib/local-env.ts";
import { functionsDir } from "./lib/paths.ts";
import { readSigningKeys } from "./lib/signing-keys.ts";

const port = Number(Deno.env.get("FUNCTIONS_PORT") ?? "54321");
const required = (name: string) => {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const jwtSecret = required("SUPABASE_INTERNAL_JWT_SECRET");
const signingKeys = readSigningKeys(required("SUPABASE_INTERNAL_SIGNING_KEYS_PATH"));
const restUrl = Deno.env.get("SUPABASE_INTERNAL_REST_URL");
const apiKeys = {
  publishable: [required("SUPABASE_PUBLISHABLE_KEY")],
  secret: [required("SUPABASE_SECRET_KEY")],
  legacy: [required("SUPABASE_ANON_KEY"), required("SUPABASE_SERVICE_ROLE_KEY")],
};

// Secrets: supabase/functions/.env when it exists (or FUNCTIONS_ENV_FILE), else the documented
// local defaults. Names starting with SUPABASE_ belong to the platform and are skipped, as the CLI does.
const envFile = Deno.env.get("FUNCTIONS_ENV_FILE") ?? join(functionsDir, ".env");
const secrets = existsSync(envFile)
  ? parseDotenv(Deno.readTextFileSync(envFile))
  : localFunctionEnv;
// The stack may override some (Stripe pointed at its fake Stripe API when Stripe is not configured).
const overrides = JSON.parse(Deno.env.get("SUPABASE_INTERNAL_SECRET_OVERRIDES") ?? "{}");
for (const [key, value] of Object.entries({ ...secrets, ...overrides } as Record<string, string>)) {
  if (key.startsWith("SUPABASE_")) {
    console.warn(`skipping ${key} from ${envFile}: SUPABASE_ names are reserved`);
    continue;
  }
  Deno.env.set(key, value);
}
// The local stack speaks both worlds: functions accept legacy HS256 tokens with the stack's legacy
// secret unless the env file names another (on Supabase, a function secret the operator sets).
if (!Deno.env.get("LEGACY_JWT_SECRET")) Deno.env.set("LEGACY_JWT_SECRET", jwtSecret);
// The platform's variables (SUPABASE_URL, SUPABASE_DB_URL, both kinds of key, SUPABASE_JWKS) come
// from the stack (functionsPlatformEnv); only the gateway's own settings are taken away.
for (const key of Object.keys(Deno.env.toObject())) {
  if (key.startsWith("SUPABASE_INTERNAL_") || key === "FUNCTIONS_PORT") Deno.env.delete(key);
}

const functions = listFunctions();
Deno.serve(
  {
    hostname: "127.0.0.1",
    port,
    onListen: () => {
      console.log(
        `Serving ${
          functions.map((f) => f.name).join(", ")
        } on http://127.0.0.1:${port}/functions/v1/<name>`,
      );
      if (restUrl) console.log(`Proxying http://127.0.0.1:${port}/rest/v1 to ${restUrl}`);
    },
  },
  gateway({
    functions,
    jwtSecret,
    signingKeys,
    apiKeys,
    rest: restUrl ? { url: restUrl } : undefined,
  }),
);
