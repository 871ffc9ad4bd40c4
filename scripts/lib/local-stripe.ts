// Paying locally without Stripe: the fake Stripe API (scripts/fake-stripe-server.ts) and the
// settings the functions need to use it. The functions read their secrets the way the local stack
// gives them: supabase/functions/.env (or FUNCTIONS_ENV_FILE) when it exists, else the documented
// defaults of .env.example (scripts/lib/local-env.ts), whose Stripe settings are placeholders, so
// Stripe is "not configured" until the file points the functions at the fake (or at Stripe).
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  startFakeStripe,
  stripeApiAt,
} from "../../supabase/functions/_shared/testing/fake-stripe.ts";
import { parseDotenv } from "./functions-config.ts";
import { localFunctionEnv } from "./local-env.ts";
import { functionsDir } from "./paths.ts";
import { portOpen } from "./proc.ts";

/** Where the fake Stripe API listens by default (the port of Stripe's own stripe-mock). */
export const FAKE_STRIPE_PORT = 12111;

/**
 * The function secrets that point every Stripe function at the fake on `port`. Any sk_test_ key
 * and whsec_ secret will do (the fake accepts every sk_test_ key; stripe:simulate signs its
 * webhooks with the configured secret). In Docker mode the functions run in a container: use
 * STRIPE_API_HOST=host.docker.internal and serve the fake on 0.0.0.0.
 */
export function fakeStripeEnv(port = FAKE_STRIPE_PORT, host = "127.0.0.1"): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: "sk_test_local_fake",
    STRIPE_WEBHOOK_SECRET: "whsec_local_fake",
    ...stripeApiAt(host, port),
  };
}

/** How to point the local functions at the fake, in words and lines to paste. */
export function fakeStripeInstructions(port = FAKE_STRIPE_PORT): string {
  return `Point the functions at the fake Stripe API: copy .env.example to supabase/functions/.env ` +
    `if you have none, set these lines in it, and restart the functions (npm stop && npm start):\n` +
    Object.entries(fakeStripeEnv(port)).map(([k, v]) => `  ${k}=${v}`).join("\n");
}

/** The env file the local functions read, and the secrets in it (or the documented defaults). */
function functionSecrets(
  envFile = Deno.env.get("FUNCTIONS_ENV_FILE") ?? join(functionsDir, ".env"),
): { file: string | null; env: Record<string, string> } {
  if (existsSync(envFile)) {
    return { file: envFile, env: parseDotenv(Deno.readTextFileSync(envFile)) };
  }
  return { file: null, env: { ...localFunctionEnv } };
}

/** Whether the functions' Stripe secrets are set (not missing, not the .env.example placeholders). */
function stripeConfigured(env: Record<string, string>): boolean {
  const key = env.STRIPE_SECRET_KEY ?? "";
  const secret = env.STRIPE_WEBHOOK_SECRET ?? "";
  return key.startsWith("sk_") && !/replace_me/.test(key) && secret.startsWith("whsec_") &&
    !/replace_me/.test(secret);
}

/**
 * The function secrets on the local stack (`npm start`): the env file's (or the defaults), where
 * Stripe, when it is not configured, is the fake Stripe API the stack runs on FAKE_STRIPE_PORT.
 */
export function stackFunctionSecrets(): {
  file: string | null;
  env: Record<string, string>;
  fakeStripe: boolean;
} {
  const { file, env } = functionSecrets();
  if (stripeConfigured(env)) return { file, env, fakeStripe: false };
  return { file, env: { ...env, ...fakeStripeEnv() }, fakeStripe: true };
}

/** Hosts that mean "this machine" to the functions (a container reaches the host by name). */
const localHosts = new Set(["127.0.0.1", "localhost", "::1", "host.docker.internal"]);

export interface StripeTarget {
  secretKey: string;
  webhookSecret: string;
  /** Where this script reaches the fake. */
  host: string;
  port: number;
  protocol: "http" | "https";
}

/**
 * Where the functions' Stripe is, when it is a local fake; otherwise why stripe:simulate can't pay
 * (it never talks to the real Stripe).
 */
export function localStripeTarget(env: Record<string, string>): StripeTarget | { problem: string } {
  const key = env.STRIPE_SECRET_KEY ?? "";
  const secret = env.STRIPE_WEBHOOK_SECRET ?? "";
  const host = env.STRIPE_API_HOST ?? "";
  if (!key.startsWith("sk_test_") || /replace_me/.test(key)) {
    return { problem: "STRIPE_SECRET_KEY is not an sk_test_ key (or is the placeholder)" };
  }
  if (!secret.startsWith("whsec_") || /replace_me/.test(secret)) {
    return { problem: "STRIPE_WEBHOOK_SECRET is not a whsec_ secret (or is the placeholder)" };
  }
  if (!localHosts.has(host)) {
    return {
      problem: `STRIPE_API_HOST is ${host || "not set (api.stripe.com)"}, not a local fake Stripe`,
    };
  }
  return {
    secretKey: key,
    webhookSecret: secret,
    host: host === "host.docker.internal" ? "127.0.0.1" : host,
    port: Number(env.STRIPE_API_PORT ?? FAKE_STRIPE_PORT),
    protocol: env.STRIPE_API_PROTOCOL === "https" ? "https" : "http",
  };
}

/**
 * The fake Stripe API on `port`: the one already listening there (the stack's, or
 * `npm run stripe:fake`), or one started in this process until `close()`.
 */
export async function ensureFakeStripe(
  port: number,
  opts: { hostname?: string; log?: (line: string) => void } = {},
): Promise<{ started: boolean; close: () => Promise<void> }> {
  if (await portOpen(port)) return { started: false, close: () => Promise.resolve() };
  const fake = startFakeStripe({
    port,
    hostname: opts.hostname,
    onRequest: (r, status) => opts.log?.(`fake Stripe: ${r.method} ${r.path} -> ${status}`),
  });
  return { started: true, close: () => fake.close() };
}
