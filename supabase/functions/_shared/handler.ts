// A function's default export: `export default fromEnv()`, where
// `fromEnv = (env?: Env) => lazyHandler(schema, services, build, env)`.
import type { z } from "zod";
import { type AuthConfig, type Authenticator, createAuth } from "./auth.ts";
import { type DatabaseEnv, type Env, readConfig, type Service } from "./config.ts";
import { pool, type Sql } from "./db.ts";
import { ConfigError, corsHeaders, toResponse } from "./http.ts";

/** What a function's builder returns: its request handler, and how to close its pool. */
export interface Handler {
  fetch: (req: Request) => Promise<Response>;
  close?: () => Promise<void>;
}

export interface LazyHandler<S extends z.ZodObject> {
  fetch: (req: Request) => Promise<Response>;
  /** Closes the handler's database pool, if it was built (tests). */
  close: () => Promise<void>;
  /** The environment the function reads (checked against .env.example by npm test). */
  envSchema: S;
}

/**
 * The handler `build` makes from the config that `envSchema` reads from `env` (default: the
 * function's environment), built on the first request, so tests can import the module. While
 * the config is wrong, every request answers the error (503 `<service>_not_configured` when one
 * of `services` is not set up, else 500 `misconfigured`; the log names the settings) and nothing
 * else runs; the next request reads the environment again.
 */
export function lazyHandler<S extends z.ZodObject, H extends Handler>(
  envSchema: S,
  services: readonly Service[],
  build: (config: z.infer<S>) => H,
  env?: Env,
): LazyHandler<S> {
  let handler: H | undefined;
  return {
    envSchema,
    close: async (): Promise<void> => {
      await handler?.close?.();
      handler = undefined;
    },
    fetch: (req: Request): Promise<Response> => {
      if (!handler) {
        try {
          handler = build(readConfig(envSchema, env, services));
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

/** What a function's tests may hand its builder instead of what it builds from its config. */
export interface Deps {
  /** The pool its SQL runs on. */
  sql?: Sql;
  /** What authenticates its callers. */
  auth?: Authenticator;
}

/** The pool a function's SQL runs on (deps.sql, else its own: `pool`), and how to close it. */
export function ownPool(config: DatabaseEnv, deps: Pick<Deps, "sql"> = {}) {
  const sql = deps.sql ?? pool(config);
  return { sql, close: () => sql.end({ timeout: 5 }) };
}

/** ownPool, and what authenticates the function's callers (deps.auth, else `createAuth`). */
export function poolAndAuth(config: DatabaseEnv & AuthConfig, deps: Deps = {}) {
  return { ...ownPool(config, deps), auth: deps.auth ?? createAuth(config) };
}
