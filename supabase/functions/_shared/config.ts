// Environment configuration, parsed once with zod. A missing or malformed variable is reported
// by its name so an operator knows exactly which secret to set.
//
// A third party a function can't work without (Stripe, Zoom) that is not set up, because one of
// its settings is missing, invalid or still the .env.example placeholder, makes the function
// answer 503 with that service's code (stripe_not_configured, zoom_not_configured) before it
// does anything; the log names the settings. Anything else missing is a 500 `misconfigured`.
import { z } from "zod";
import { ConfigError } from "./http.ts";

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
const isPlaceholder = (value: string): boolean => /replace_me/i.test(value);

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

/** The pool size when DB_POOL_SIZE is not set. */
export const DEFAULT_POOL_SIZE = 3;

/**
 * The database: SUPABASE_DB_URL, which the platform gives every function, and DB_POOL_SIZE, the
 * connections one function instance may open (Supavisor in transaction mode shares them).
 */
export const databaseEnv = z.object({
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(20).default(DEFAULT_POOL_SIZE),
});
export type DatabaseEnv = z.infer<typeof databaseEnv>;
