// The one Stripe client: the real SDK with a pinned API version, reached over fetch. The host,
// port and protocol are configurable so tests point it at a local fake Stripe.
import Stripe from "stripe";
import { z } from "zod";
import { authEnv } from "./auth.ts";
import { databaseEnv, type Env, secret, type Service } from "./config.ts";
import { type Handler, lazyHandler } from "./handler.ts";

export const STRIPE_API_VERSION = "2026-10-28.endive";

/**
 * The events stripe-webhook applies (through stripe_apply_event): the ones to enable on the
 * webhook endpoint (README, "Payments (Stripe)"; npm test checks that list, and the events the
 * migrations name, against this one). Any other event is answered 200 `ignored` untouched.
 */
export const handledStripeEvents = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "checkout.session.async_payment_failed",
  "checkout.session.expired",
  "charge.refunded",
  "charge.dispute.created",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
] as const;
export type HandledStripeEvent = typeof handledStripeEvents[number];

export const isHandledStripeEvent = (type: string): type is HandledStripeEvent =>
  (handledStripeEvents as readonly string[]).includes(type);

/**
 * Stripe is not set up when a STRIPE_ setting is missing, invalid or still the .env.example
 * placeholder: the Stripe functions answer 503 stripe_not_configured before doing anything.
 */
export const stripeService: Service = {
  prefix: "STRIPE_",
  code: "stripe_not_configured",
  message: "Payments are not set up on this server yet; the function logs say which setting.",
};

/** The Stripe settings every function that calls Stripe reads from env. */
export const stripeEnv = z.object({
  STRIPE_SECRET_KEY: secret(z.string().startsWith("sk_")),
  STRIPE_API_HOST: z.string().optional(),
  STRIPE_API_PORT: z.coerce.number().int().optional(),
  STRIPE_API_PROTOCOL: z.enum(["http", "https"]).optional(),
});
export type StripeEnv = z.infer<typeof stripeEnv>;

export function stripeClient(config: StripeEnv): Stripe {
  return new Stripe(config.STRIPE_SECRET_KEY, {
    apiVersion: STRIPE_API_VERSION,
    httpClient: Stripe.createFetchHttpClient(),
    host: config.STRIPE_API_HOST,
    port: config.STRIPE_API_PORT,
    protocol: config.STRIPE_API_PROTOCOL,
    maxNetworkRetries: 2,
  });
}

/**
 * What checkout, refund and the billing portal read: how callers are authenticated, the
 * database, Stripe, and where buyers return.
 */
export const paymentsConfig = stripeEnv.extend({
  ...authEnv.shape,
  ...databaseEnv.shape,
  // Comma-separated origins the success, cancel and portal return URLs may point to.
  CHECKOUT_ALLOWED_ORIGINS: z.string().min(1).transform((s) =>
    s.split(",").map((o) => o.trim()).filter(Boolean)
  ),
});
export type PaymentsConfig = z.infer<typeof paymentsConfig>;

/**
 * A payments function's `fromEnv`: its handler, built from paymentsConfig on the first request
 * (lazyHandler); until Stripe is set up, 503 stripe_not_configured.
 */
export const paymentsFromEnv =
  <H extends Handler>(build: (config: PaymentsConfig) => H) => (env?: Env) =>
    lazyHandler(paymentsConfig, [stripeService], build, env);

/** Webhook signatures are checked with SubtleCrypto, the Web Crypto API Deno provides. */
export const webhookCryptoProvider = Stripe.createSubtleCryptoProvider();
