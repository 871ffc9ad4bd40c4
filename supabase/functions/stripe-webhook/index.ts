// POST /functions/v1/stripe-webhook (no Supabase credential: Stripe signs its requests instead).
// Verifies Stripe-Signature on the raw body (constructEventAsync, SubtleCrypto), then applies the
// event through stripe_apply_event() in one transaction. A bad signature: 400, nothing written.
// Duplicates, stale events, and events that are not ours: 200, recorded in the ledger (Stripe stops
// retrying). A paid order whose seat was lost ('refund_required'): refunded here, in full, with an
// idempotency key per order. A database or Stripe failure: 500, so Stripe retries; the transaction
// leaves nothing behind, and a retried lost-seat event asks for the (idempotent) refund again.
// Stripe not set up on this server (a STRIPE_ secret missing or the .env.example placeholder):
// 503 stripe_not_configured before anything is read or written, so Stripe retries until it is.
import type Stripe from "stripe";
import { z } from "zod";
import { databaseUrl, type Env, lazyHandler, readConfig, secret } from "../_shared/config.ts";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { errorResponse, json } from "../_shared/http.ts";
import {
  stripeClient,
  stripeEnv,
  stripeService,
  webhookCryptoProvider,
} from "../_shared/stripe.ts";

export const stripeWebhookConfig = stripeEnv.extend({
  SUPABASE_DB_URL: databaseUrl,
  STRIPE_WEBHOOK_SECRET: secret(z.string().startsWith("whsec_")),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
});

const service = { role: "service_role" };

export function createStripeWebhook(
  config: z.infer<typeof stripeWebhookConfig>,
  deps: { sql?: Sql } = {},
) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
  const stripe = stripeClient(config);

  /** Refunds an order the platform could not honour (the database says what is owed). */
  async function autoRefund(event: Stripe.Event): Promise<void> {
    const orderId = (event.data.object as { metadata?: Record<string, string> }).metadata?.order_id;
    const [owed] = await asCaller(
      sql,
      service,
      (tx) =>
        tx<{ payment_intent: string; refund_amount: string; reason: string }[]>`
          select * from public.claim_auto_refund(${orderId ?? null}::uuid)`,
    );
    if (!owed) return;
    await stripe.refunds.create({
      payment_intent: owed.payment_intent,
      amount: Number(owed.refund_amount),
      metadata: { order_id: orderId!, reason: owed.reason },
    }, { idempotencyKey: `auto-refund-${orderId}` });
  }

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
        webhookCryptoProvider,
      );
    } catch (e) {
      return errorResponse(
        400,
        "bad_signature",
        e instanceof Error ? e.message : "Invalid signature.",
      );
    }
    let result: string;
    try {
      [{ result }] = await asCaller(sql, service, (tx) =>
        tx<{ result: string }[]>`
          select public.stripe_apply_event(${event.id}, ${event.type}, to_timestamp(${event.created}),
                                           ${sql.json(event.data.object as never)}) as result`);
    } catch (e) {
      console.error(`stripe-webhook: ${event.type} ${event.id} failed:`, e);
      return errorResponse(
        500,
        "processing_failed",
        "The event could not be applied; Stripe will retry.",
      );
    }
    if (result === "refund_required") {
      try {
        await autoRefund(event);
      } catch (e) {
        console.error(`stripe-webhook: the refund for ${event.id} failed:`, e);
        return errorResponse(
          500,
          "refund_failed",
          "The refund could not be issued; Stripe will retry.",
        );
      }
    }
    return json({ received: true, result });
  };

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(() => createStripeWebhook(readConfig(stripeWebhookConfig, env, [stripeService])));

export default fromEnv();
