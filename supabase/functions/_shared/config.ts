// Environment configuration, parsed once with zod. A missing or malformed variable is reported
// by its name so an operator knows exactly which secret to set.
//
// A third party a function can't work without (Stripe, Zoom) that is not set up, because one of
// its settings is missing, invalid or still the .env.example placeholder, makes the function
// answer 503 with that service's code (stripe_not_configured, zoom_not_configured) before it
// does anything; the log names the settings. Anything else missing is a 500 `misconfigured`.
import { z } from "zod";
import { ConfigError, corsHeaders, toResponse } from "./http.ts";

export { ConfigError };
/** The functions' pinned zod, for scripts/ (which have no import map entry of their own). */
export { z };

/** Environment variables by name. */
export type Env = Record<string, string | undefined>;

/** A third party whose settings share a prefix (STRIPE_, ZOOM_), and what clients get without it. */
export interface Service {
  /** Settings that belong to it start with this. */
  prefix: string;
  /** The error code of the 503 when it is not set up, e.g. stripe_not_configured. */
  code: string;
  /** What clients are told. */
  message: string;
}

/** .env.example ships every secret as a value containing replace_me; none is ever real. */
export const isPlaceholder = (value: string): boolean => /replace_me/i.test(value);

/** A secret: set, and not the .env.example placeholder. */
export function secret(schema: z.ZodString = z.string()): z.ZodString {
  return schema.min(1).refine((value) => !isPlaceholder(value), {
    message: "is still the .env.example placeholder",
  });
}

export function readConfig<S extends z.ZodObject>(
  schema: S,
  env: Env = Deno.env.toObject(),
  services: readonly Service[] = [],
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const keys: string[] = [];
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join(".");
      keys.push(key);
      const value = env[key];
      if (value === undefined || value === "") return `${key} is not set`;
      if (isPlaceholder(value)) return `${key} is still the .env.example placeholder`;
      return `${key} is invalid: ${issue.message}`;
    });
    const service = services.find((s) => keys.some((key) => key.startsWith(s.prefix)));
    throw new ConfigError(
      `configuration error${service ? ` (${service.code})` : ""}: ${problems.join("; ")}`,
      service && { code: service.code, message: service.message },
    );
  }
  return parsed.data;
}

/** SUPABASE_DB_URL, which the platform gives every function. */
export const databaseUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL");

/**
 * Variables every Supabase edge function receives from the platform: the project's URL and its
 * database, and the legacy anon and service_role keys while the project still has them. The new
 * API keys and SUPABASE_JWKS are read by auth.ts (authEnv).
 */
export const platformEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: databaseUrl,
  SUPABASE_ANON_KEY: z.string().min(1).optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),
});

/**
 * A function's default export: its handler is built, with config read from the environment, on
 * the first request (so tests can import the module). While the config is wrong, every request
 * answers the error (503 `<service>_not_configured` or 500 `misconfigured`, the log naming the
 * settings) and nothing else runs; the next request reads the environment again.
 */
export function lazyHandler<
  H extends { fetch: (req: Request) => Promise<Response>; close?: () => Promise<void> },
>(build: () => H) {
  let handler: H | undefined;
  return {
    /** Closes the handler's database pool, if it was built (tests). */
    close: async (): Promise<void> => {
      await handler?.close?.();
      handler = undefined;
    },
    fetch: (req: Request): Promise<Response> => {
      if (!handler) {
        try {
          handler = build();
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          if (req.method === "OPTIONS") {
            return Promise.resolve(new Response("ok", { headers: corsHeaders }));
          }
          return Promise.resolve(toResponse(e));
        }
      }
      return handler.fetch(req);
    },
  };
}
