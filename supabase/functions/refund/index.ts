// POST /functions/v1/refund {order_id, amount?, idempotency_key}  (admins)
// request_refund(), run as the caller, decides (admins only) and marks the order refund_pending;
// then Stripe refunds the payment intent. The order stays refund_pending until the webhook's
// charge.refunded confirms it, which is also when access is revoked.
import { z } from "zod";
import { asCaller, takeToken } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, json, parseBody } from "../_shared/http.ts";
import { type PaymentsConfig, paymentsFromEnv, stripeClient } from "../_shared/stripe.ts";

const input = z.object({
  order_id: z.uuid(),
  amount: z.number().int().positive().optional(),
  // The admin UI generates one per refund attempt, so a double click refunds once.
  idempotency_key: z.string().min(8).max(200),
});

export function createRefund(config: PaymentsConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const stripe = stripeClient(config);
  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    await takeToken(sql, "function:refund", claims);
    const body = await parseBody(req, input);
    const [plan] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx<{ payment_intent: string; refund_amount: string; currency: string }[]>`
        select * from public.request_refund(${body.order_id}, ${body.amount ?? null})`,
    );
    const refund = await stripe.refunds.create(
      {
        payment_intent: plan.payment_intent,
        amount: Number(plan.refund_amount),
        metadata: { order_id: body.order_id },
      },
      { idempotencyKey: `refund-${body.order_id}-${body.idempotency_key}` },
    );
    return json({
      order_id: body.order_id,
      refund_id: refund.id,
      status: refund.status,
      amount: refund.amount,
    });
  });
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = paymentsFromEnv(createRefund);

export default fromEnv();
