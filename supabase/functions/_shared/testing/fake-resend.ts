// A local stand-in for the Resend API: records every request and answers like Resend does
// ({id} on success, {statusCode, name, message} on errors). Replies can be scripted per request.
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function startFakeResend() {
  const requests: RecordedRequest[] = [];
  const script: Reply[] = [];
  const idsByKey = new Map<string, string>();
  let counter = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json().catch(() => null);
    requests.push({ method: req.method, path, headers: Object.fromEntries(req.headers), body });
    if (req.headers.get("authorization") !== "Bearer re_test_key") {
      return Response.json(
        { statusCode: 401, name: "missing_api_key", message: "Missing API key" },
        { status: 401 },
      );
    }
    const scripted = script.shift();
    if (scripted) {
      return Response.json(scripted.body, { status: scripted.status, headers: scripted.headers });
    }
    if (req.method === "POST" && path === "/emails") {
      const key = req.headers.get("idempotency-key") ?? crypto.randomUUID();
      const id = idsByKey.get(key) ??
        `4ef9a417-02e9-4d39-ad75-${String(++counter).padStart(12, "0")}`;
      idsByKey.set(key, id);
      return Response.json({ id });
    }
    return Response.json({ statusCode: 404, name: "not_found", message: "Not found" }, {
      status: 404,
    });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The next requests get these replies, in order; then the default behaviour resumes. */
    reply: (...replies: Reply[]) => script.push(...replies),
    close: () => server.shutdown(),
  };
}

export const rateLimited = (retryAfter: number): Reply => ({
  status: 429,
  body: {
    statusCode: 429,
    name: "rate_limit_exceeded",
    message: "Too many requests. You can only make 5 requests per second.",
  },
  headers: {
    "retry-after": String(retryAfter),
    "ratelimit-limit": "5",
    "ratelimit-remaining": "0",
    "ratelimit-reset": String(retryAfter),
  },
});
export const serverError: Reply = {
  status: 500,
  body: {
    statusCode: 500,
    name: "internal_server_error",
    message: "An unexpected error occurred.",
  },
};
export const validationError: Reply = {
  status: 422,
  body: { statusCode: 422, name: "validation_error", message: "Invalid `to` field." },
};
