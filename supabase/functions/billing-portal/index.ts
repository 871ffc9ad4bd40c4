// POST /functions/v1/billing-portal {return_url}: a Stripe customer portal session for the
// caller's own subscriptions and payment methods. The customer is the caller's (looked up from
// their user id in the verified token); there is no way to name someone else's.
import { z } from "zod";
import { asService, requireSignedInAccount } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { type PaymentsConfig, paymentsFromEnv, stripeClient } from "../_shared/stripe.ts";

const input = z.object({ return_url: z.url() });

export function createBillingPortal(config: PaymentsConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const stripe = stripeClient(config);
  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const userId = await requireSignedInAccount(sql, claims);
    const { return_url } = await parseBody(req, input);
    if (!config.CHECKOUT_ALLOWED_ORIGINS.includes(new URL(return_url).origin)) {
      throw new HttpError(400, "redirect_not_allowed", "The return URL must point to this site.");
    }
    const [{ customer }] = await asService(
      sql,
      (tx) =>
        tx<{ customer: string | null }[]>`select public.stripe_customer_id(${userId}) as customer`,
    );
    if (!customer) throw new HttpError(404, "no_customer", "You have no purchases to manage yet.");
    const session = await stripe.billingPortal.sessions.create({ customer, return_url });
    return json({ url: session.url });
  });
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = paymentsFromEnv(createBillingPortal);

export default fromEnv();
