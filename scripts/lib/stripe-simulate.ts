// The logic of `npm run stripe:simulate`: a purchase on the local stack, paid without Stripe.
//
// 1. Signs the buyer in the way Auth would (GoTrue's claims through the custom access token hook,
//    signed with the local JWT secret).
// 2. Calls the checkout function through the functions gateway, as a frontend does. The functions
//    talk to a fake Stripe API (scripts/fake-stripe-server.ts), which keeps the Checkout Session.
// 3. Reads that session back from the fake and posts to stripe-webhook the events Stripe would
//    send once the buyer paid, with Stripe's shapes (amount_total, currency, mode, payment_intent,
//    the metadata checkout set: order_id, user_id, offer_id) and a valid Stripe-Signature made with
//    stripe-node's generateTestHeaderStringAsync and the functions' STRIPE_WEBHOOK_SECRET:
//    checkout.session.completed, and for a plan customer.subscription.created.
// 4. Optionally refunds it (charge.refunded; a plan's subscription is cancelled instead:
//    customer.subscription.deleted) or, for a one-time payment, makes an asynchronous payment
//    method fail (checkout.session.completed with payment_status unpaid, then
//    checkout.session.async_payment_failed).
// 5. Reads back the order and what it gave the buyer.
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import {
  STRIPE_API_VERSION,
  stripeClient,
  webhookCryptoProvider,
} from "../../supabase/functions/_shared/stripe.ts";
import { fakeStripeInstructions, type StripeTarget } from "./local-stripe.ts";
import { accessToken } from "./access-token.ts";

export interface Purchase {
  email: string;
  offerId: string;
  currency: string;
  coupon?: string;
  /** After paying: refund it, or (instead of paying) make an async payment fail. */
  then?: "refund" | "fail";
}

export interface SimulationDeps {
  /** The stack's database, as postgres (to sign in as Auth would, and to read the outcome). */
  sql: Sql;
  supabaseUrl: string;
  functionsUrl: string;
  jwtSecret: string;
  /** The fake Stripe the functions use, and the webhook secret they verify with. */
  stripe: StripeTarget;
  /** An origin in the functions' CHECKOUT_ALLOWED_ORIGINS, for the return URLs. */
  siteOrigin: string;
  log?: (line: string) => void;
}

export interface Delivery {
  type: string;
  id: string;
  result: string;
}

export interface Access {
  kind: "course" | "session";
  id: string;
  title: string;
  source: string;
  active: boolean;
  until: Date | null;
}

export interface Simulation {
  userId: string;
  order: { id: string; title: string; status: string; currency: string; total: number };
  checkoutSessionId: string | null;
  events: Delivery[];
  access: Access[];
  subscription: { id: string; status: string; current_period_end: Date | null } | null;
}

/** What went wrong, in words a developer can act on. */
export class SimulationError extends Error {
  override name = "SimulationError";
}

const random = () => crypto.randomUUID().replaceAll("-", "").slice(0, 24);

/** Minor units as money: 8910 USD -> "USD 89.10". */
export const money = (amount: number, currency: string) =>
  `${currency.toUpperCase()} ${(amount / 100).toFixed(2)}`;

export async function simulatePurchase(
  purchase: Purchase,
  deps: SimulationDeps,
): Promise<Simulation> {
  const log = deps.log ?? (() => {});
  const { sql } = deps;
  const signedIn = await accessToken(sql, purchase.email, deps.jwtSecret, {
    issuer: `${deps.supabaseUrl.replace(/\/$/, "")}/auth/v1`,
  });
  const buyer = {
    userId: String(signedIn.claims.sub),
    email: String(signedIn.claims.email),
    token: signedIn.token,
  };
  log(`signed in as ${buyer.email} (${buyer.userId}), the way Auth would`);

  // ---------------------------------------------------------------- checkout, as a frontend
  const res = await fetch(`${deps.functionsUrl}/checkout`, {
    method: "POST",
    headers: { authorization: `Bearer ${buyer.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      offer_id: purchase.offerId,
      currency: purchase.currency,
      ...(purchase.coupon ? { coupon_code: purchase.coupon } : {}),
      success_url: `${deps.siteOrigin}/orders/success`,
      cancel_url: `${deps.siteOrigin}/cart`,
    }),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = answer.error ?? {};
    let message = `checkout answered ${res.status} ${err.code ?? ""}: ${
      err.message ?? answer.msg ?? JSON.stringify(answer)
    }${
      err.details
        ? ` (${typeof err.details === "string" ? err.details : JSON.stringify(err.details)})`
        : ""
    }`;
    if (err.code === "stripe_not_configured" || err.code === "stripe_unavailable") {
      message += `\n${fakeStripeInstructions()}`;
    }
    throw new SimulationError(message);
  }
  const orderId: string = answer.order_id;
  if (answer.status === "paid") {
    log(`checkout: order ${orderId} cost nothing, so it is paid without Stripe`);
    if (purchase.then) log(`nothing was paid, so there is nothing to ${purchase.then}`);
    return await outcome(sql, buyer.userId, orderId, null, []);
  }
  const sessionId: string = answer.session_id;
  log(`checkout: order ${orderId}, Stripe Checkout Session ${sessionId} (${answer.url})`);

  // ---------------------------------------------------------------- what Stripe would send
  const stripe = stripeClient({
    STRIPE_SECRET_KEY: deps.stripe.secretKey,
    STRIPE_API_HOST: deps.stripe.host,
    STRIPE_API_PORT: deps.stripe.port,
    STRIPE_API_PROTOCOL: deps.stripe.protocol,
  });
  const session = JSON.parse(
    JSON.stringify(await stripe.checkout.sessions.retrieve(sessionId)),
  ) as Record<string, unknown> & { mode: string; metadata: Record<string, string> };
  const subscriptionMode = session.mode === "subscription";
  if (subscriptionMode && purchase.then === "fail") {
    throw new SimulationError(
      "--fail makes an asynchronous payment method fail, which applies to one-time payments; " +
        "a plan's failed payments are its invoices' (invoice.payment_failed)",
    );
  }

  const events: Delivery[] = [];
  let clock = Math.floor(Date.now() / 1000);
  const deliver = async (type: string, object: Record<string, unknown>) => {
    const event = {
      id: `evt_sim_${random()}`,
      object: "event",
      api_version: STRIPE_API_VERSION,
      created: clock++,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object },
    };
    const payload = JSON.stringify(event);
    const signature = await stripe.webhooks.generateTestHeaderStringAsync({
      payload,
      secret: deps.stripe.webhookSecret,
      cryptoProvider: webhookCryptoProvider,
    });
    const hook = await fetch(`${deps.functionsUrl}/stripe-webhook`, {
      method: "POST",
      headers: { "stripe-signature": signature, "content-type": "application/json" },
      body: payload,
    });
    const body = await hook.json().catch(() => ({}));
    if (!hook.ok) {
      throw new SimulationError(
        `stripe-webhook answered ${hook.status} to ${type}: ${JSON.stringify(body)}` +
          (hook.status === 400
            ? "\n(a bad signature: the functions verify with another STRIPE_WEBHOOK_SECRET; restart them after editing supabase/functions/.env)"
            : ""),
      );
    }
    events.push({ type, id: event.id, result: body.result });
    log(`stripe-webhook <- ${type} ${event.id}: ${body.result}`);
  };

  const paymentIntent = subscriptionMode ? null : `pi_sim_${random()}`;
  const subscriptionId = subscriptionMode ? `sub_sim_${random()}` : null;
  const completed = {
    ...session,
    status: "complete",
    payment_status: purchase.then === "fail" ? "unpaid" : "paid",
    payment_intent: paymentIntent,
    subscription: subscriptionId,
    customer_details: { email: buyer.email },
    url: null,
  };
  await deliver("checkout.session.completed", completed);

  if (purchase.then === "fail") {
    await deliver("checkout.session.async_payment_failed", completed);
  }

  if (subscriptionId) {
    const [plan] = await sql<{ plan_interval: "month" | "year" }[]>`
      select plan_interval from public.offers where id = ${session.metadata.offer_id}`;
    const start = clock;
    const end = new Date(start * 1000);
    if (plan?.plan_interval === "year") end.setUTCFullYear(end.getUTCFullYear() + 1);
    else end.setUTCMonth(end.getUTCMonth() + 1);
    const subscription = {
      id: subscriptionId,
      object: "subscription",
      customer: session.customer,
      status: "active",
      cancel_at_period_end: false,
      collection_method: "charge_automatically",
      created: start,
      start_date: start,
      currency: session.currency,
      latest_invoice: `in_sim_${random()}`,
      livemode: false,
      // Checkout copies subscription_data.metadata onto the subscription.
      metadata: session.metadata,
      items: {
        object: "list",
        data: [{
          id: `si_sim_${random()}`,
          object: "subscription_item",
          current_period_start: start,
          current_period_end: Math.floor(end.getTime() / 1000),
          quantity: 1,
          price: {
            object: "price",
            currency: session.currency,
            unit_amount: session.amount_total,
            recurring: { interval: plan?.plan_interval ?? "month", interval_count: 1 },
          },
        }],
      },
    };
    await deliver("customer.subscription.created", subscription);
    if (purchase.then === "refund") {
      // A plan's access follows its subscription: cancelling it is what takes the courses back.
      await deliver("customer.subscription.deleted", {
        ...subscription,
        status: "canceled",
        canceled_at: clock,
        ended_at: clock,
      });
    }
  } else if (purchase.then === "refund") {
    const amount = Number(session.amount_total);
    // Stripe copies the payment intent's metadata (checkout's payment_intent_data) onto its charge.
    await deliver("charge.refunded", {
      id: `ch_sim_${random()}`,
      object: "charge",
      amount,
      amount_captured: amount,
      amount_refunded: amount,
      captured: true,
      paid: true,
      refunded: true,
      status: "succeeded",
      currency: session.currency,
      customer: session.customer,
      payment_intent: paymentIntent,
      metadata: session.metadata,
      created: clock,
      livemode: false,
      refunds: {
        object: "list",
        data: [{
          id: `re_sim_${random()}`,
          object: "refund",
          amount,
          currency: session.currency,
          payment_intent: paymentIntent,
          status: "succeeded",
          created: clock,
        }],
      },
    });
  }
  return await outcome(sql, buyer.userId, orderId, sessionId, events);
}

/** The order now, and what it (or the subscription it started) gives the buyer. */
async function outcome(
  sql: Sql,
  userId: string,
  orderId: string,
  checkoutSessionId: string | null,
  events: Delivery[],
): Promise<Simulation> {
  const [order] = await sql<Simulation["order"][]>`
    select id, title, status::text, currency, total::int from public.orders where id = ${orderId}`;
  const access = await sql<Access[]>`
    select 'course' as kind, c.id, c.title, e.source::text, private.is_active(e) as active,
           e.ends_at as until
    from public.entitlements e join public.courses c on c.id = e.course_id
    where e.user_id = ${userId}
      and (e.order_id = ${orderId}
           or e.subscription_id in (select s.id from public.subscriptions s where s.order_id = ${orderId}))
    union all
    select 'session', s.id, s.title, r.source, r.cancelled_at is null, s.starts_at
    from public.live_session_registrations r join public.live_sessions s on s.id = r.session_id
    where r.user_id = ${userId}
      and r.session_id in (select l.session_id from public.order_lines l where l.order_id = ${orderId})
    order by 3`;
  const [subscription] = await sql<NonNullable<Simulation["subscription"]>[]>`
    select stripe_subscription_id as id, status, current_period_end
    from public.subscriptions where order_id = ${orderId}`;
  return {
    userId,
    order,
    checkoutSessionId,
    events,
    access: [...access],
    subscription: subscription ?? null,
  };
}
