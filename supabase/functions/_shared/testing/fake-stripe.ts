// A local stand-in for the Stripe API, for the real stripe-node SDK pointed at it through
// host/port/protocol. Records each request (form-decoded) and answers with Stripe's shapes;
// a repeated Idempotency-Key gets the first response again, as Stripe does. Tests start it on a
// free port; scripts/fake-stripe-server.ts serves it on a fixed one for the local stack, and
// `npm run stripe:simulate` reads the Checkout Sessions it created back (GET, as Stripe allows).
export interface StripeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  form: Record<string, string>;
}

export interface FakeStripeOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1 (0.0.0.0 lets containers reach it through host.docker.internal). */
  hostname?: string;
  /** Called after each request, e.g. to log it. */
  onRequest?: (request: StripeRequest, status: number) => void;
}

/** The settings that point stripe-node (stripeClient) at a Stripe API served over http on host:port. */
export function stripeApiAt(host: string, port: number) {
  return { STRIPE_API_HOST: host, STRIPE_API_PORT: String(port), STRIPE_API_PROTOCOL: "http" };
}

export function startFakeStripe(opts: FakeStripeOptions = {}) {
  const requests: StripeRequest[] = [];
  const byKey = new Map<string, unknown>();
  const sessions = new Map<string, Record<string, unknown>>();
  // Ids unique across restarts too (a long-lived server, reused Stripe customers in the database).
  const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  let n = 0;
  const id = (prefix: string) => `${prefix}_${run}${String(++n).padStart(10, "0")}`;
  const hostname = opts.hostname ?? "127.0.0.1";
  const handler = (req: Request, url: URL, form: Record<string, string>): Response => {
    if (!(req.headers.get("authorization") ?? "").startsWith("Bearer sk_test_")) {
      return Response.json({
        error: { type: "invalid_request_error", message: "Invalid API Key provided" },
      }, { status: 401 });
    }
    const key = req.headers.get("idempotency-key");
    if (key && byKey.has(key)) return Response.json(byKey.get(key));
    const sessionPath = url.pathname.match(/^\/v1\/checkout\/sessions\/([^/]+)$/);
    if (req.method === "GET" && sessionPath) {
      const session = sessions.get(decodeURIComponent(sessionPath[1]));
      if (session) return Response.json(session);
      return Response.json({
        error: {
          type: "invalid_request_error",
          code: "resource_missing",
          message: `No such checkout.session: '${sessionPath[1]}'`,
        },
      }, { status: 404 });
    }
    const created = Math.floor(Date.now() / 1000);
    let body: Record<string, unknown>;
    if (req.method === "POST" && url.pathname === "/v1/customers") {
      body = {
        id: id("cus"),
        object: "customer",
        email: form.email ?? null,
        metadata: pick(form, "metadata"),
        created,
        livemode: false,
      };
    } else if (req.method === "POST" && url.pathname === "/v1/checkout/sessions") {
      const sid = id("cs_test");
      const amount = Number(form["line_items[0][price_data][unit_amount]"]);
      body = {
        id: sid,
        object: "checkout.session",
        url: `https://checkout.stripe.com/c/pay/${sid}`,
        mode: form.mode,
        status: "open",
        payment_status: "unpaid",
        client_reference_id: form.client_reference_id ?? null,
        customer: form.customer ?? null,
        currency: form["line_items[0][price_data][currency]"],
        amount_subtotal: amount,
        amount_total: amount,
        metadata: pick(form, "metadata"),
        payment_intent: null,
        subscription: null,
        success_url: form.success_url ?? null,
        cancel_url: form.cancel_url ?? null,
        created,
        expires_at: form.expires_at ? Number(form.expires_at) : created + 86400,
        livemode: false,
      };
      sessions.set(sid, body);
    } else if (req.method === "POST" && url.pathname === "/v1/billing_portal/sessions") {
      const bid = id("bps");
      body = {
        id: bid,
        object: "billing_portal.session",
        customer: form.customer,
        return_url: form.return_url,
        url: `https://billing.stripe.com/p/session/${bid}`,
        created,
        livemode: false,
      };
    } else if (req.method === "POST" && url.pathname === "/v1/refunds") {
      body = {
        id: id("re"),
        object: "refund",
        amount: Number(form.amount),
        currency: "usd",
        payment_intent: form.payment_intent,
        status: "pending",
        metadata: pick(form, "metadata"),
        created,
      };
    } else {
      return Response.json({
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${req.method}: ${url.pathname})`,
        },
      }, {
        status: 404,
      });
    }
    if (key) byKey.set(key, body);
    return Response.json(body);
  };
  const server = Deno.serve(
    { hostname, port: opts.port ?? 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const form = Object.fromEntries(new URLSearchParams(await req.text()));
      const request = {
        method: req.method,
        path: url.pathname,
        headers: Object.fromEntries(req.headers),
        form,
      };
      requests.push(request);
      const res = handler(req, url, form);
      opts.onRequest?.(request, res.status);
      return res;
    },
  );
  const { port } = server.addr as Deno.NetAddr;
  return {
    port,
    /** The function settings that point at this fake: a test key (it accepts any sk_test_ key). */
    env: { STRIPE_SECRET_KEY: "sk_test_fake", ...stripeApiAt("127.0.0.1", port) },
    requests,
    /** The Checkout Sessions it created, by id. */
    sessions,
    close: () => server.shutdown(),
  };
}

/** The `prefix[x]` entries of a form, as an object. */
function pick(form: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(form)) {
    const m = k.match(new RegExp(`^${prefix}\\[([^\\]]+)\\]$`));
    if (m) out[m[1]] = v;
  }
  return out;
}
