// POST /functions/v1/send-emails (service callers: a secret key on apikey, or the legacy
// service_role key; anyone else gets 403 service_only): drains the email outbox through Resend.
// claim -> render -> send (Idempotency-Key = outbox id, rate-limited) -> record, all SQL run as the
// caller, so only the service role may drain the outbox (claim_emails is granted to it alone).
// The response and the log say, per email, what happened and why (outcomes.ts). Without a Resend
// key (missing, or the .env.example placeholder) it answers 503 email_not_configured and claims
// nothing. Every non-essential email (the weekly digest, reminders, updates) carries the
// recipient's one-click unsubscribe link, signed with EMAIL_UNSUBSCRIBE_SECRET (_shared/unsubscribe.ts),
// in its footer and in the List-Unsubscribe and List-Unsubscribe-Post headers (RFC 8058); without
// that secret it answers 503 email_not_configured too, so no such email goes out without its link.
import { z } from "zod";
import { authEnv } from "../_shared/auth.ts";
import { databaseEnv, type Env, secret, type Service } from "../_shared/config.ts";
import { asCaller } from "../_shared/db.ts";
import { type Deps, lazyHandler, poolAndAuth } from "../_shared/handler.ts";
import { handle, json, parseBody } from "../_shared/http.ts";
import { isUnsubscribable, signUnsubscribeToken, unsubscribeEnv } from "../_shared/unsubscribe.ts";
import {
  type ClaimedEmail,
  type EmailOutcome,
  type Failure,
  logOutcome,
  runReport,
} from "./outcomes.ts";
import { resendMailer } from "./resend.ts";
import { render, type Rendered } from "./templates.ts";

/** Resend is not set up when a RESEND_ setting is missing, invalid or the placeholder. */
const emailService: Service = {
  prefix: "RESEND_",
  code: "email_not_configured",
  message: "Email is not set up on this server yet; the function logs say which setting.",
};
/** Nor is it without the secret that signs the unsubscribe links. */
const unsubscribeService: Service = { ...emailService, prefix: "EMAIL_UNSUBSCRIBE_" };

export const sendEmailsConfig = z.object({
  ...authEnv.shape,
  ...databaseEnv.shape,
  RESEND_API_KEY: secret(),
  EMAIL_FROM: z.string().min(3),
  RESEND_BASE_URL: z.url().optional(),
  SITE_URL: z.url(),
  ...unsubscribeEnv.shape,
  /** The unsubscribe function's public URL (default <SUPABASE_URL>/functions/v1/unsubscribe). */
  EMAIL_UNSUBSCRIBE_URL: z.url().optional(),
  EMAIL_RATE_PER_SECOND: z.coerce.number().positive().default(5),
  EMAIL_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  EMAIL_LEASE_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
});
export type SendEmailsConfig = z.infer<typeof sendEmailsConfig>;

const requestBody = z.object({ batch_size: z.number().int().min(1).max(500).optional() });

export function createSendEmails(
  config: SendEmailsConfig,
  deps: Deps & {
    log?: (line: string, outcome: EmailOutcome) => void;
  } = {},
) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const send = resendMailer(config);
  const unsubscribeBase = config.EMAIL_UNSUBSCRIBE_URL ??
    `${config.SUPABASE_URL.replace(/\/+$/, "")}/functions/v1/unsubscribe`;
  /** The recipient's one-click unsubscribe link, for non-essential email; undefined otherwise. */
  const unsubscribeUrl = async (email: ClaimedEmail) => {
    if (!isUnsubscribable(email.category) || !email.to_user_id) return undefined;
    const token = await signUnsubscribeToken(
      config.EMAIL_UNSUBSCRIBE_SECRET,
      email.to_user_id,
      email.category,
    );
    return `${unsubscribeBase}?token=${token}`;
  };

  const fetch = handle("POST", async (req) => {
    // Service callers only: a secret key (or the legacy service_role key), as pg_cron sends.
    const { claims } = await auth.requireService(req);
    const body = await parseBody(req, requestBody, {});
    const batch = body.batch_size ?? config.EMAIL_BATCH_SIZE;
    const worker = `send-emails:${crypto.randomUUID()}`;
    // Oldest first, so a rate limit hands back the newest.
    const claimed = await asCaller(sql, claims, (tx) =>
      tx<ClaimedEmail[]>`
        select id, template, category, to_user_id, to_email, payload, attempts, max_attempts
        from public.claim_emails(${batch}, ${config.EMAIL_LEASE_SECONDS}, ${worker})
        order by created_at, id`);
    const run = runReport(claimed.length, deps.log ?? logOutcome);

    /** Records a failure in the outbox, which decides whether it is tried again, and reports it. */
    const failed = async (email: ClaimedEmail, cause: string, failure: Failure) => {
      const [row] = await asCaller(sql, claims, (tx) =>
        tx<{ status: string }[]>`
          select public.fail_email(${email.id}, ${failure.error}, ${failure.retryAfter},
                                   ${failure.permanent}) as status`);
      run.failed(email, cause, failure, row.status);
    };

    let retryAfter: number | null = null;
    for (const email of claimed) {
      if (run.summary.rate_limited) {
        // Resend said stop: hand the rest back for after the Retry-After.
        await failed(email, "not attempted: Resend is rate-limiting this run", {
          error: "not sent: rate limited",
          retryAfter,
          permanent: false,
          attempted: false,
        });
        continue;
      }
      let message: Rendered;
      try {
        message = render(email, config.SITE_URL, {
          unsubscribeUrl: await unsubscribeUrl(email),
          category: email.category,
        });
      } catch (e) {
        const why = `the template could not be rendered: ${e instanceof Error ? e.message : e}`;
        await failed(email, why, {
          error: String(e),
          retryAfter: null,
          permanent: true,
          attempted: true,
        });
        continue;
      }
      const delivery = await send(email.id, email.to_email, message);
      if (delivery.sent) {
        const [{ recorded }] = await asCaller(
          sql,
          claims,
          (tx) =>
            tx<{ recorded: boolean | null }[]>`
            select public.complete_email(${email.id}, ${delivery.id}) as recorded`,
        );
        run.report(
          email,
          "sent",
          `accepted by Resend as ${delivery.id}` +
            (recorded
              ? ""
              : " (its lease had lapsed: a later run sends it again, with the same idempotency key)"),
        );
        continue;
      }
      if (delivery.rateLimited) {
        run.summary.rate_limited = true;
        retryAfter = delivery.retryAfter;
      }
      await failed(email, delivery.cause, {
        error: delivery.error,
        retryAfter: delivery.retryAfter,
        permanent: delivery.permanent,
        attempted: true,
      });
    }
    return json(run.summary);
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(sendEmailsConfig, [emailService, unsubscribeService], createSendEmails, env);

export default fromEnv();
