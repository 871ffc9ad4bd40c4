// The local stand-in for Supabase's API gateway (Kong) in front of two services:
// - /functions/v1/<name>/... : the edge-runtime main service of `supabase functions serve`, which
//   calls the function's exported handler and enforces verify_jwt from config.toml with the same
//   status codes and bodies;
// - /rest/v1/...             : PostgREST, behind Kong's key-auth (an `apikey` header or query
//   parameter holding one of the project's keys is required), with the apikey used as the bearer
//   token when no Authorization header is sent, and the /rest/v1 prefix stripped.
// Both answer CORS preflights as Kong's `cors` plugin does with its default settings.
import { jwtAlgorithm, verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import type { FunctionSpec } from "./functions-config.ts";

type Handler = (req: Request) => Response | Promise<Response>;

export interface RestUpstream {
  /** PostgREST's own URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** The keys Kong's key-auth accepts: the project's anon and service_role keys. */
  apiKeys: string[];
  /** Sends the proxied request; defaults to fetch (tests inject a fake upstream). */
  fetch?: (req: Request) => Promise<Response>;
}

export interface GatewayOptions {
  functions: FunctionSpec[];
  jwtSecret: string;
  /** Loads a function module; defaults to a dynamic import of its entrypoint. */
  load?: (spec: FunctionSpec) => Promise<{ default?: { fetch?: Handler } }>;
  /** PostgREST behind /rest/v1; without it /rest/v1 is 404, as with no route. */
  rest?: RestUpstream;
}

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
export function kongPreflight(req: Request): Response | null {
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

/** Kong's rest-v1 service: key-auth, the apikey as bearer, the prefix stripped, CORS on replies. */
async function proxyRest(req: Request, url: URL, rest: RestUpstream): Promise<Response> {
  const cors = { "access-control-allow-origin": "*" };
  const preflight = kongPreflight(req);
  if (preflight) return preflight; // the cors plugin runs before key-auth
  const apikey = req.headers.get("apikey") ?? url.searchParams.get("apikey");
  if (!apikey) return jsonResponse(NO_API_KEY, 401, cors);
  if (!rest.apiKeys.includes(apikey)) return jsonResponse(INVALID_API_KEY, 401, cors);

  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${apikey}`);
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

async function verify(token: string, secret: string): Promise<boolean> {
  if (jwtAlgorithm(token) !== "HS256") return false;
  try {
    await verifyJwt(token, secret);
    return true;
  } catch {
    return false;
  }
}

export function gateway(opts: GatewayOptions): Handler {
  const byName = new Map(opts.functions.map((f) => [f.name, f]));
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
    if (opts.rest && (url.pathname === "/rest/v1" || url.pathname.startsWith("/rest/v1/"))) {
      return await proxyRest(req, url, opts.rest);
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
    // Kong copies a legacy apikey into Authorization when there is none.
    const headers = new Headers(req.headers);
    if (!headers.has("authorization") && headers.has("apikey")) {
      headers.set("authorization", headers.get("apikey")!);
    }
    const forwarded = new Request(new URL(path + url.search, url.origin), {
      method: req.method,
      headers,
      body: req.body,
    });

    if (req.method !== "OPTIONS" && spec.verifyJwt) {
      try {
        if (!(await verify(authToken(forwarded), opts.jwtSecret))) {
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
