// The local stand-in for Kong plus the edge-runtime main service of `supabase functions serve`:
// routes /functions/v1/<name>/... to the function's exported handler, enforces verify_jwt from
// config.toml with the same status codes and bodies, and answers CORS preflights as Kong does.
import { jwtAlgorithm, verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import type { FunctionSpec } from "./functions-config.ts";

type Handler = (req: Request) => Response | Promise<Response>;

export interface GatewayOptions {
  functions: FunctionSpec[];
  jwtSecret: string;
  /** Loads a function module; defaults to a dynamic import of its entrypoint. */
  load?: (spec: FunctionSpec) => Promise<{ default?: { fetch?: Handler } }>;
}

const jsonResponse = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

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
    if (!url.pathname.startsWith("/functions/v1/")) {
      return jsonResponse({ message: "no Route matched with those values" }, 404);
    }
    // Kong answers CORS preflights itself.
    if (
      req.method === "OPTIONS" && req.headers.has("origin") &&
      req.headers.has("access-control-request-method")
    ) {
      return new Response(null, {
        status: 200,
        headers: {
          "access-control-allow-origin": "*",
          "access-control-allow-methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
          "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "",
          "access-control-allow-credentials": "true",
        },
      });
    }
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
