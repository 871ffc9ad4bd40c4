// Environment configuration, parsed once with zod. A missing or malformed variable is reported
// by its name so an operator knows exactly which secret to set.
import { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function readConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join(".");
      return env[key] === undefined || env[key] === ""
        ? `${key} is not set`
        : `${key} is invalid: ${issue.message}`;
    });
    throw new ConfigError(`configuration error: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** SUPABASE_DB_URL, which the platform gives every function. */
export const databaseUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL");

/** Variables every Supabase edge function receives from the platform. */
export const platformEnv = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: databaseUrl,
  SUPABASE_ANON_KEY: z.string().min(1),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
});

/**
 * A function's default export: its handler is built, with config read from the environment, on
 * the first request (so a missing secret is reported by name, and tests can import the module).
 */
export function lazyHandler<H extends { fetch: (req: Request) => Promise<Response> }>(
  build: () => H,
) {
  let handler: H | undefined;
  return { fetch: (req: Request) => (handler ??= build()).fetch(req) };
}
