// The local stand-in for Supabase's API gateway (Kong) in front of two services:
// - /functions/v1/<name>/... : the edge-runtime main service of `supabase functions serve`, which
//   calls the function's exported handler and enforces verify_jwt from config.toml with the same
//   status codes and bodies (HS256 tokens against the legacy secret, ES256 ones against the JWKS,
//   as the CLI's main service does);
// - /rest/v1/...             : PostgREST, behind Kong's key-auth (an `apikey` header or query
//   parameter holding one of the project's keys is required), the /rest/v1 prefix stripped;
// and serves the signing keys' public JWKS at /auth/v1/.well-known/jwks.json, as Supabase Auth
// does (there is no Auth server locally).
//
// API keys, both kinds (Kong's request-transformer expression in supabase/cli
// internal/start/start.go and self-hosted docker/volumes/api/kong-entrypoint.sh; hosted Supabase's
// gateway "mints a temporary, short-lived JWT" for publishable and secret keys, docs
// guides/api/api-keys): upstream keeps a sent Authorization unless it is `Bearer sb_...`; else a
// secret key becomes `Bearer <JWT for service_role>` and a publishable key `Bearer <JWT for
// anon>`, each a short-lived ES256 JWT signed with the stack's signing key; a legacy key (itself a
// JWT) is passed on. An sb_ key never reaches a service as a bearer token.
import { createLocalJWKSet, type JWK, jwtVerify } from "jose";
import { jwtAlgorithm, verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import type { FunctionSpec } from "./functions-config.ts";
import { signWithKey } from "./keys.ts";
import { currentSigningKey, publicJwks, type SigningJwk } from "./signing-keys.ts";

type Handler = (req: Request) => Response | Promise<Response>;

export interface RestUpstream {
  /** PostgREST's own URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Sends the proxied request; defaults to fetch (tests inject a fake upstream). */
  fetch?: (req: Request) => Promise<Response>;
}

/** The project's API keys, as Kong's key-auth consumers hold them. */
export interface ApiKeys {
  /** `sb_publishable_...` keys: the anon role. */
  publishable: string[];
  /** `sb_secret_...` keys: the service_role role. */
  secret: string[];
  /** The legacy anon and service_role keys: JWTs, passed on as they are. */
  legacy: string[];
}

export interface GatewayOptions {
  functions: FunctionSpec[];
  /** The legacy JWT secret: verify_jwt accepts HS256 tokens signed with it. */
  jwtSecret: string;
  /**
   * The signing keys (private JWKs): their public halves are the JWKS (served, and what
   * verify_jwt checks ES256 tokens against); the current one signs the JWTs minted for sb_ keys.
   */
  signingKeys: SigningJwk[];
  apiKeys: ApiKeys;
  /** Loads a function module; defaults to a dynamic import of its entrypoint. */
  load?: (spec: FunctionSpec) => Promise<{ default?: { fetch?: Handler } }>;
  /** PostgREST behind /rest/v1; without it /rest/v1 is 404, as with no route. */
  rest?: RestUpstream;
  /** The clock, in seconds (tests move it). */
  now?: () => number;
}

/** How long a JWT minted for an sb_ key lives; it is reused until a minute before it expires. */
export const MINTED_TOKEN_SECONDS = 300;

const jsonResponse = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

/**
 * A CORS preflight answered the way Kong's `cors` plugin does with no config (as the CLI's and
 * self-hosted kong.yml declare it): any origin, every method, the requested headers echoed, no
 * credentials and no max-age. Null when the request is not a preflight.
 */
function kongPreflight(req: Request): Response | null {
  if (
    req.method !== "OPTIONS" || !req.headers.has("origin") ||
    !req.headers.has("access-control-request-method")
  ) {
    return null;
  }
  const headers: Record<string, string> = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
  };
  const requested = req.headers.get("access-control-request-headers");
  if (requested) headers["access-control-allow-headers"] = requested;
  return new Response(null, { status: 200, headers });
}

/** Hosted Supabase's 401 bodies for a missing or unknown API key. */
export const NO_API_KEY = {
  message: "No API key found in request",
  hint: "No `apikey` request header or url param was found.",
};
export const INVALID_API_KEY = {
  message: "Invalid API key",
  hint: "Double check your Supabase `anon` or `service_role` API key.",
};

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "proxy-connection",
  "host",
  "content-length",
  "accept-encoding",
];

type Mint = (role: "anon" | "service_role") => Promise<string>;

/**
 * The Authorization header upstream gets, by Kong's rule: a sent Authorization is kept unless it is
 * `Bearer sb_...` (supabase-js sends its key as the bearer too); otherwise a secret or publishable
 * key is swapped for a minted JWT of its role, and a legacy key is passed on as `legacy(apikey)`.
 * Null when there is nothing to send: an sb_ value never goes upstream.
 */
async function upstreamAuthorization(
  authorization: string | null,
  apikey: string | null,
  keys: ApiKeys,
  mint: Mint,
  legacy: (apikey: string) => string,
): Promise<string | null> {
  if (authorization !== null && !authorization.startsWith("Bearer sb_")) return authorization;
  if (apikey === null) return null;
  if (keys.secret.includes(apikey)) return `Bearer ${await mint("service_role")}`;
  if (keys.publishable.includes(apikey)) return `Bearer ${await mint("anon")}`;
  if (apikey.startsWith("sb_")) return null;
  return legacy(apikey);
}

/** Kong's rest-v1 service: key-auth, the key's JWT as bearer, the prefix stripped, CORS on replies. */
async function proxyRest(
  req: Request,
  url: URL,
  rest: RestUpstream,
  keys: ApiKeys,
  mint: Mint,
): Promise<Response> {
  const cors = { "access-control-allow-origin": "*" };
  const preflight = kongPreflight(req);
  if (preflight) return preflight; // the cors plugin runs before key-auth
  const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey");
  if (!apikey) return jsonResponse(NO_API_KEY, 401, cors);
  const known = [...keys.publishable, ...keys.secret, ...keys.legacy];
  if (!known.includes(apikey)) return jsonResponse(INVALID_API_KEY, 401, cors);

  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  // A legacy key goes on as `Bearer <key>` (the CLI's Kong copies it without "Bearer ", which
  // PostgREST reads as no token at all; supabase-js always sends both headers, so no client sees
  // the difference).
  const authorization = await upstreamAuthorization(
    headers.get("authorization"),
    apikey,
    keys,
    mint,
    (key) => `Bearer ${key}`,
  );
  if (authorization) headers.set("authorization", authorization);
  else headers.delete("authorization");
  // PostgREST would read ?apikey= as a filter on a column named apikey: drop it, keep the rest
  // of the query string byte for byte.
  const query = url.search.slice(1).split("&").filter((p) => p && !/^apikey(=|$)/.test(p))
    .join("&");
  const path = url.pathname.slice("/rest/v1".length) || "/";
  const target = new URL(path + (query ? `?${query}` : ""), rest.url);
  headers.set("x-forwarded-prefix", "/rest/v1");
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const upstream = new Request(target, {
    method: req.method,
    headers,
    body: hasBody ? await req.arrayBuffer() : undefined,
    redirect: "manual",
  });
  let res: Response;
  try {
    res = await (rest.fetch ?? fetch)(upstream);
  } catch {
    return jsonResponse(
      { message: "An invalid response was received from the upstream server" },
      502,
      cors,
    );
  }
  const out = new Headers(res.headers);
  for (const h of ["connection", "keep-alive", "transfer-encoding", "content-length"]) {
    out.delete(h);
  }
  out.set("access-control-allow-origin", "*");
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
}

function authToken(req: Request): string {
  const header = req.headers.get("authorization");
  if (!header) throw new Error("Missing authorization header");
  const [bearer, token] = header.split(" ");
  if (bearer !== "Bearer") throw new Error(`Auth header is not 'Bearer {token}'`);
  return token;
}

/**
 * verify_jwt as the CLI's edge-runtime main service does it (verifyHybridJWT): HS256 against the
 * legacy secret, ES256 and RS256 against the JWKS, anything else refused.
 */
async function verify(
  token: string,
  secret: string,
  jwks: ReturnType<typeof createLocalJWKSet>,
): Promise<boolean> {
  const alg = jwtAlgorithm(token);
  try {
    if (alg === "HS256") await verifyJwt(token, secret);
    else if (alg === "ES256" || alg === "RS256") {
      await jwtVerify(token, jwks, { algorithms: [alg] });
    } else return false;
    return true;
  } catch {
    return false;
  }
}

/** Mints (and reuses while valid) the short-lived JWT a role's sb_ keys stand for upstream. */
function minter(signingKeys: SigningJwk[], now: () => number): Mint {
  const cache = new Map<string, { token: string; exp: number }>();
  return async (role) => {
    const t = now();
    const hit = cache.get(role);
    if (hit && hit.exp - t > 60) return hit.token;
    const exp = t + MINTED_TOKEN_SECONDS;
    // The claims self-hosted Supabase gives its gateway-only ES256 keys: role, iss, iat, exp.
    const claims = { role, iss: "supabase", iat: t, exp };
    const token = await signWithKey(claims, currentSigningKey(signingKeys));
    cache.set(role, { token, exp });
    return token;
  };
}

/** The JWKS route: the public keys only, as Auth serves it (its Cache-Control), open to anyone. */
function serveJwks(req: Request, jwks: { keys: JWK[] }): Response {
  const preflight = kongPreflight(req);
  if (preflight) return preflight;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return jsonResponse({ message: "no Route matched with those values" }, 404);
  }
  return jsonResponse(jwks, 200, {
    "cache-control": "public, max-age=600",
    "access-control-allow-origin": "*",
  });
}

export const JWKS_PATH = "/auth/v1/.well-known/jwks.json";

export function gateway(opts: GatewayOptions): Handler {
  const byName = new Map(opts.functions.map((f) => [f.name, f]));
  const jwks = publicJwks(opts.signingKeys);
  const localJwks = createLocalJWKSet(jwks);
  const mint = minter(opts.signingKeys, opts.now ?? (() => Math.floor(Date.now() / 1000)));
  const load = opts.load ?? ((spec) => import(`file://${spec.entrypoint}`));
  const handlers = new Map<string, Promise<Handler>>();

  const handlerFor = (spec: FunctionSpec) => {
    let h = handlers.get(spec.name);
    if (!h) {
      h = load(spec).then((mod) => {
        const fetch = mod.default?.fetch;
        if (typeof fetch !== "function") {
          throw new Error(`${spec.entrypoint} does not export default { fetch }`);
        }
        return fetch;
      });
      h.catch(() => handlers.delete(spec.name)); // a fixed file boots on the next request
      handlers.set(spec.name, h);
    }
    return h;
  };

  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/health" || url.pathname === "/functions/v1/_internal/health") {
      return jsonResponse({ message: "ok" }, 200);
    }
    if (url.pathname === JWKS_PATH) return serveJwks(req, jwks);
    if (opts.rest && (url.pathname === "/rest/v1" || url.pathname.startsWith("/rest/v1/"))) {
      return await proxyRest(req, url, opts.rest, opts.apiKeys, mint);
    }
    if (!url.pathname.startsWith("/functions/v1/")) {
      return jsonResponse({ message: "no Route matched with those values" }, 404);
    }
    // Kong answers CORS preflights itself.
    const preflight = kongPreflight(req);
    if (preflight) return preflight;
    // Kong strips the prefix: the function sees /<name>/...
    const path = url.pathname.slice("/functions/v1".length);
    const name = path.split("/")[1];
    const spec = byName.get(name);
    if (!spec) {
      return new Response("Function not found", {
        status: 404,
        headers: { "content-type": "text/plain" },
      });
    }
    // Kong's rule (no key-auth on this route): an sb_ key becomes a JWT of its role, a legacy
    // apikey is copied into Authorization as it is (raw, so verify_jwt refuses it without
    // "Bearer ", as with `supabase start`). The apikey header itself goes on.
    const headers = new Headers(req.headers);
    const authorization = await upstreamAuthorization(
      headers.get("authorization"),
      headers.get("apikey"),
      opts.apiKeys,
      mint,
      (key) => key,
    );
    if (authorization) headers.set("authorization", authorization);
    else headers.delete("authorization");
    const forwarded = new Request(new URL(path + url.search, url.origin), {
      method: req.method,
      headers,
      body: req.body,
    });

    if (req.method !== "OPTIONS" && spec.verifyJwt) {
      try {
        if (!(await verify(authToken(forwarded), opts.jwtSecret, localJwks))) {
          return jsonResponse({ msg: "Invalid JWT" }, 401);
        }
      } catch (e) {
        return jsonResponse({ msg: String(e) }, 401);
      }
    }

    let handler: Handler;
    try {
      handler = await handlerFor(spec);
    } catch (e) {
      console.error(`[${spec.name}] failed to boot:`, e);
      return jsonResponse(
        { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" },
        503,
      );
    }
    try {
      return await handler(forwarded);
    } catch (e) {
      console.error(`[${spec.name}]`, e);
      return jsonResponse(
        { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" },
        500,
      );
    }
  };
}
