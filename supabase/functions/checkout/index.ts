// POST /functions/v1/checkout {offer_id, currency, coupon_code?, success_url, cancel_url}
// Creates the buyer's order in the database (create_order, run as the buyer: database price, no
// double purchase), then a Stripe Checkout Session for it. Returns {order_id, session_id, url};
// a zero total is fulfilled by the database and returns {order_id, status: "paid"} without Stripe.
import { z } from "zod";
import { asCaller, asService, takeToken } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { type PaymentsConfig, paymentsFromEnv, stripeClient } from "../_shared/stripe.ts";

const input = z.object({
  offer_id: z.uuid(),
  currency: z.string().regex(/^[A-Za-z]{3}$/),
  coupon_code: z.string().max(40).optional(),
  success_url: z.url(),
  cancel_url: z.url(),
});

interface Order {
  id: string;
  user_id: string;
  offer_id: string;
  currency: string;
  total: string;
  status: string;
  hold_expires_at: Date | null;
}

/** Stripe's Checkout Session ends this long before the order's hold, so no payment outlives it. */
const SESSION_ENDS_BEFORE_HOLD_S = 180;

export function createCheckout(config: PaymentsConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const stripe = stripeClient(config);

  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    await takeToken(sql, "function:checkout", claims);
    const body = await parseBody(req, input);
    for (const url of [body.success_url, body.cancel_url]) {
      if (!config.CHECKOUT_ALLOWED_ORIGINS.includes(new URL(url).origin)) {
        throw new HttpError(
          400,
          "redirect_not_allowed",
          "The return URLs must point to this site.",
          { url },
        );
      }
    }

    const { order, offer } = await asCaller(sql, claims, async (tx) => {
      const [order] = await tx<Order[]>`
        select * from public.create_order(${body.offer_id}, ${body.currency}, ${
        body.coupon_code ?? null
      })`;
      const [offer] = await tx<
        { kind: string; title: string; plan_interval: "month" | "year" | null }[]
      >`
        select kind, title, plan_interval from public.offers where id = ${order.offer_id}`;
      return { order, offer };
    });
    if (order.status === "paid") return json({ order_id: order.id, status: "paid" });

    const userId = order.user_id;
    let [{ customer }] = await asService(
      sql,
      (tx) =>
        tx<{ customer: string | null }[]>`select public.stripe_customer_id(${userId}) as customer`,
    );
    if (!customer) {
      const created = await stripe.customers.create(
        {
          email: typeof claims.email === "string" ? claims.email : undefined,
          metadata: { user_id: userId },
        },
        { idempotencyKey: `customer-${userId}` },
      );
      [{ customer }] = await asService(
        sql,
        (tx) =>
          tx<
            { customer: string }[]
          >`select public.save_stripe_customer(${userId}, ${created.id}) as customer`,
      );
    }

    const metadata = { order_id: order.id, user_id: userId, offer_id: order.offer_id };
    const subscription = offer.kind === "plan";
    const expiresAt = order.hold_expires_at
      ? Math.floor(order.hold_expires_at.getTime() / 1000) - SESSION_ENDS_BEFORE_HOLD_S
      : undefined;
    const session = await stripe.checkout.sessions.create({
      mode: subscription ? "subscription" : "payment",
      expires_at: expiresAt,
      customer: customer!,
      client_reference_id: order.id,
      success_url: body.success_url,
      cancel_url: body.cancel_url,
      metadata,
      line_items: [{
        quantity: 1,
        price_data: {
          currency: order.currency.toLowerCase(),
          unit_amount: Number(order.total),
          product_data: { name: offer.title, metadata: { offer_id: order.offer_id } },
          ...(subscription ? { recurring: { interval: offer.plan_interval! } } : {}),
        },
      }],
      ...(subscription
        ? { subscription_data: { metadata } }
        : { payment_intent_data: { metadata } }),
    }, { idempotencyKey: `checkout-${order.id}` });

    await asService(
      sql,
      (tx) => tx`select public.attach_checkout_session(${order.id}, ${session.id})`,
    );
    return json({ order_id: order.id, session_id: session.id, url: session.url });
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = paymentsFromEnv(createCheckout);

export default fromEnv();
