// POST /functions/v1/stripe-webhook (verify_jwt off; Stripe signs its requests instead).
// Verifies Stripe-Signature on the raw body (constructEventAsync, SubtleCrypto), then applies the
// event through stripe_apply_event() in one transaction. A bad signature: 400, nothing written.
// Duplicates, stale and unknown events: 200 (Stripe stops retrying). A database failure: 500, and
// the transaction leaves nothing behind, so Stripe's retry starts clean.
import Stripe from "stripe";
import { z } from "zod";
import { databaseUrl, lazyHandler, readConfig } from "../_shared/config.ts";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { errorResponse, json } from "../_shared/http.ts";

export const stripeWebhookConfig = z.object({
  SUPABASE_DB_URL: databaseUrl,
  STRIPE_SECRET_KEY: z.string().startsWith("sk_"),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_"),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
});

const cryptoProvider = Stripe.createSubtleCryptoProvider();

export function createStripeWebhook(
  config: z.infer<typeof stripeWebhookConfig>,
  deps: { sql?: Sql } = {},
) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
  const stripe = new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
  });
  const service = { role: "service_role" };

  const fetch = async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return errorResponse(405, "method_not_allowed", "Use POST.");
    const raw = await req.text();
    let event: Stripe.Event;
    try {
      event = await stripe.webhooks.constructEventAsync(
        raw,
        req.headers.get("stripe-signature") ?? "",
        config.STRIPE_WEBHOOK_SECRET,
        config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        cryptoProvider,
      );
    } catch (e) {
      return errorResponse(
        400,
        "bad_signature",
        e instanceof Error ? e.message : "Invalid signature.",
      );
    }
    try {
      const [{ result }] = await asCaller(sql, service, (tx) =>
        tx<{ result: string }[]>`
          select public.stripe_apply_event(${event.id}, ${event.type}, to_timestamp(${event.created}),
                                           ${sql.json(event.data.object as never)}) as result`);
      return json({ received: true, result });
    } catch (e) {
      console.error(`stripe-webhook: ${event.type} ${event.id} failed:`, e);
      return errorResponse(
        500,
        "processing_failed",
        "The event could not be applied; Stripe will retry.",
      );
    }
  };

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

export default lazyHandler(() => createStripeWebhook(readConfig(stripeWebhookConfig)));
