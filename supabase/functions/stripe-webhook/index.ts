// POST /functions/v1/stripe-webhook (no Supabase credential: Stripe signs its requests instead).
// Verifies Stripe-Signature on the raw body (constructEventAsync, SubtleCrypto), then applies the
// event through stripe_apply_event() in one transaction. A bad signature: 400, nothing written.
// An event type not in handledStripeEvents (_shared/stripe.ts): 200 "ignored", nothing written.
// Duplicates, stale events, and events that are not ours: 200, recorded in the ledger (Stripe stops
// retrying). A paid order whose seat was lost ('refund_required'): refunded here, in full, with an
// idempotency key per order. A database or Stripe failure: 500, so Stripe retries; the transaction
// leaves nothing behind, and a retried lost-seat event asks for the (idempotent) refund again.
// Stripe not set up on this server (a STRIPE_ secret missing or the .env.example placeholder):
// 503 stripe_not_configured before anything is read or written, so Stripe retries until it is.
import type Stripe from "stripe";
import { z } from "zod";
import { databaseEnv, type Env, secret } from "../_shared/config.ts";
import { asService } from "../_shared/db.ts";
import { type Deps, lazyHandler, ownPool } from "../_shared/handler.ts";
import { handle, HttpError, json } from "../_shared/http.ts";
import {
  isHandledStripeEvent,
  stripeClient,
  stripeEnv,
  stripeService,
  webhookCryptoProvider,
} from "../_shared/stripe.ts";

export const stripeWebhookConfig = stripeEnv.extend({
  ...databaseEnv.shape,
  STRIPE_WEBHOOK_SECRET: secret(z.string().startsWith("whsec_")),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
});
export type StripeWebhookConfig = z.infer<typeof stripeWebhookConfig>;

export function createStripeWebhook(config: StripeWebhookConfig, deps: Pick<Deps, "sql"> = {}) {
  const { sql, close } = ownPool(config, deps);
  const stripe = stripeClient(config);

  /** Refunds an order the platform could not honour (the database says what is owed). */
  async function autoRefund(event: Stripe.Event): Promise<void> {
    const orderId = (event.data.object as { metadata?: Record<string, string> }).metadata?.order_id;
    const [owed] = await asService(
      sql,
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

  /** Verifies the signature; the event it signs. */
  async function verify(req: Request): Promise<Stripe.Event> {
    const raw = await req.text();
    try {
      return await stripe.webhooks.constructEventAsync(
        raw,
        req.headers.get("stripe-signature") ?? "",
        config.STRIPE_WEBHOOK_SECRET,
        config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        webhookCryptoProvider,
      );
    } catch (e) {
      throw new HttpError(
        400,
        "bad_signature",
        "The Stripe-Signature header does not match the body.",
        e instanceof Error ? e.message : undefined,
      );
    }
  }

  // Any failure once the event is verified is a 500, whatever it was, so Stripe retries it.
  const fetch = handle("POST", async (req) => {
    const event = await verify(req);
    if (!isHandledStripeEvent(event.type)) {
      return json({ received: true, result: "ignored: unhandled event type" });
    }
    let result: string;
    try {
      [{ result }] = await asService(sql, (tx) =>
        tx<{ result: string }[]>`
          select public.stripe_apply_event(${event.id}, ${event.type}, to_timestamp(${event.created}),
                                           ${sql.json(event.data.object as never)}) as result`);
    } catch (e) {
      console.error(`stripe-webhook: ${event.type} ${event.id} failed:`, e);
      throw new HttpError(
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
        throw new HttpError(
          500,
          "refund_failed",
          "The refund could not be issued; Stripe will retry.",
        );
      }
    }
    return json({ received: true, result });
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(stripeWebhookConfig, [stripeService], createStripeWebhook, env);

export default fromEnv();
