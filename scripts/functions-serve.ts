// The local API gateway: serves the edge functions at http://127.0.0.1:<port>/functions/v1/<name>,
// the way `supabase functions serve` does behind Kong, and proxies /rest/v1 to PostgREST (at
// SUPABASE_INTERNAL_REST_URL) with Kong's key-auth. Started by the stack scripts, which pass the
// platform variables in the environment.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { listFunctions, parseDotenv } from "./lib/functions-config.ts";
import { gateway } from "./lib/gateway.ts";
import { localFunctionEnv } from "./lib/local-env.ts";
import { functionsDir } from "./lib/paths.ts";

const port = Number(Deno.env.get("FUNCTIONS_PORT") ?? "54321");
const jwtSecret = Deno.env.get("SUPABASE_INTERNAL_JWT_SECRET");
if (!jwtSecret) throw new Error("SUPABASE_INTERNAL_JWT_SECRET is not set");
const restUrl = Deno.env.get("SUPABASE_INTERNAL_REST_URL");
const apiKeys = [Deno.env.get("SUPABASE_ANON_KEY"), Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")]
  .filter((k): k is string => !!k);

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
// The JWKS the CLI hands functions: the legacy secret as an `oct` key.
const k = btoa(jwtSecret).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
Deno.env.set("SUPABASE_JWKS", JSON.stringify({ keys: [{ kty: "oct", k, alg: "HS256" }] }));
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
  gateway({ functions, jwtSecret, rest: restUrl ? { url: restUrl, apiKeys } : undefined }),
);
