// POST /functions/v1/send-emails (service callers: a secret key on apikey, or the legacy
// service_role key; anyone else gets 403 service_only): drains the email outbox through Resend.
// claim -> render -> send (Idempotency-Key = outbox id, rate-limited) -> record, all SQL run as the
// caller, so only the service role may drain the outbox (claim_emails is granted to it alone).
// The response and the log say, per email, what happened and why: sent, skipped (not attempted
// this run), retrying or dead, with the outbox id and a masked recipient (the full address stays
// in the outbox row, with Resend's full error). Without a Resend key (missing, or the .env.example
// placeholder) it answers 503 email_not_configured and claims nothing.
import { Resend } from "resend";
import { z } from "zod";
import { type Authenticator, authEnv, createAuth } from "../_shared/auth.ts";
import {
  databaseUrl,
  type Env,
  lazyHandler,
  readConfig,
  secret,
  type Service,
} from "../_shared/config.ts";
import { asCaller, type Claims, connect, type Sql } from "../_shared/db.ts";
import { handle, HttpError, json, readJson } from "../_shared/http.ts";
import { type OutboxEmail, render } from "./templates.ts";

/** Resend is not set up when a RESEND_ setting is missing, invalid or the placeholder. */
export const emailService: Service = {
  prefix: "RESEND_",
  code: "email_not_configured",
  message: "Email is not set up on this server yet; the function logs say which setting.",
};

export const sendEmailsConfig = z.object({
  ...authEnv.shape,
  SUPABASE_DB_URL: databaseUrl,
  RESEND_API_KEY: secret(),
  EMAIL_FROM: z.string().min(3),
  RESEND_BASE_URL: z.url().optional(),
  SITE_URL: z.url(),
  EMAIL_RATE_PER_SECOND: z.coerce.number().positive().default(5),
  EMAIL_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  EMAIL_LEASE_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
});
export type SendEmailsConfig = z.infer<typeof sendEmailsConfig>;

const requestBody = z.object({ batch_size: z.number().int().min(1).max(500).optional() });

/** Resend rejected the message itself: retrying can't help. */
const permanentErrors = new Set([
  "validation_error",
  "missing_required_field",
  "invalid_from_address",
  "invalid_attachment",
  "invalid_parameter",
]);

/** What happened to one claimed email in this run. */
export interface EmailOutcome {
  /** The outbox row (private.email_outbox.id): where an operator finds the address and full error. */
  id: string;
  template: string;
  /** The recipient, masked: first letter and domain. */
  to: string;
  /** This attempt's number (of max_attempts). */
  attempt: number;
  /**
   * sent: Resend accepted it. skipped: not attempted in this run (handed back). retrying: it
   * failed and will be tried again. dead: it will not be tried again.
   */
  outcome: "sent" | "skipped" | "retrying" | "dead";
  reason: string;
}

interface Summary {
  claimed: number;
  sent: number;
  skipped: number;
  retrying: number;
  dead: number;
  rate_limited: boolean;
  emails: EmailOutcome[];
}

interface ClaimedEmail extends OutboxEmail {
  attempts: number;
  max_attempts: number;
}

/** "mia@example.com" -> "m***@example.com": enough to spot a domain's trouble, not the address. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 1) return "***";
  return `${address[0]}***${address.slice(at)}`;
}

/** Masks every address in a message (Resend's errors may quote the recipient). */
export const maskAddresses = (text: string): string =>
  text.replace(/[^\s@<>"'`,;:()]+@[^\s@<>"'`,;:()]+/g, maskEmail);

export function createSendEmails(
  config: SendEmailsConfig,
  deps: {
    sql?: Sql;
    auth?: Authenticator;
    log?: (line: string, outcome: EmailOutcome) => void;
  } = {},
) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
  const auth = deps.auth ?? createAuth(config);
  const log = deps.log ?? ((line: string, e: EmailOutcome) => {
    if (e.outcome === "dead") console.error(line);
    else if (e.outcome === "sent") console.log(line);
    else console.warn(line);
  });
  const resend = new Resend(config.RESEND_API_KEY, { baseUrl: config.RESEND_BASE_URL });
  const gapMs = 1000 / config.EMAIL_RATE_PER_SECOND;
  let nextSlot = 0;
  const throttle = async () => {
    const now = Date.now();
    const wait = Math.max(0, nextSlot - now);
    nextSlot = Math.max(now, nextSlot) + gapMs;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };

  const fail = async (
    claims: Claims,
    id: string,
    error: string,
    retryAfter: number | null,
    permanent: boolean,
  ) => {
    const [row] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx<
          { status: string }[]
        >`select public.fail_email(${id}, ${error}, ${retryAfter}, ${permanent}) as status`,
    );
    return row.status;
  };

  const fetch = handle(async (req) => {
    if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST.");
    // Service callers only: a secret key (or the legacy service_role key), as pg_cron sends.
    const { claims } = await auth.requireService(req);
    const body = requestBody.parse(await readJson(req, {}));
    const batch = body.batch_size ?? config.EMAIL_BATCH_SIZE;
    const worker = `send-emails:${crypto.randomUUID()}`;
    // Oldest first, so a rate limit hands back the newest.
    const claimed = await asCaller(sql, claims, (tx) =>
      tx<ClaimedEmail[]>`
        select id, template, to_email, payload, attempts, max_attempts
        from public.claim_emails(${batch}, ${config.EMAIL_LEASE_SECONDS}, ${worker})
        order by created_at, id`);

    const summary: Summary = {
      claimed: claimed.length,
      sent: 0,
      skipped: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
      emails: [],
    };
    const report = (
      email: ClaimedEmail,
      outcome: EmailOutcome["outcome"],
      reason: string,
    ) => {
      const entry: EmailOutcome = {
        id: email.id,
        template: email.template,
        to: maskEmail(email.to_email),
        attempt: email.attempts,
        outcome,
        reason: maskAddresses(reason),
      };
      summary.emails.push(entry);
      summary[outcome]++;
      log(
        `send-emails: ${entry.id} ${entry.template} to ${entry.to} (attempt ${entry.attempt}): ${outcome}: ${entry.reason}`,
        entry,
      );
    };
    /**
     * Records a failure (`cause`) in the outbox, which decides whether it is tried again, and
     * reports it with that consequence. `attempted` false: handed back without trying (skipped).
     */
    const failed = async (
      email: ClaimedEmail,
      cause: string,
      opts: { error: string; retryAfter: number | null; permanent: boolean; attempted: boolean },
    ) => {
      const status = await fail(claims, email.id, opts.error, opts.retryAfter, opts.permanent);
      const of = `attempt ${email.attempts} of ${email.max_attempts}`;
      if (status === "dead") {
        report(
          email,
          "dead",
          opts.permanent ? `${cause}; not retried` : `${cause}; ${of} was the last`,
        );
      } else {
        const when = opts.retryAfter ? `retry after ${opts.retryAfter} s` : "retry with backoff";
        report(email, opts.attempted ? "retrying" : "skipped", `${cause}; ${of}, ${when}`);
      }
    };

    let retryAfter: number | null = null;
    for (const email of claimed) {
      if (summary.rate_limited) {
        // Resend said stop: hand the rest back for after the Retry-After.
        await failed(email, "not attempted: Resend is rate-limiting this run", {
          error: "not sent: rate limited",
          retryAfter,
          permanent: false,
          attempted: false,
        });
        continue;
      }
      let message;
      try {
        message = render(email, config.SITE_URL);
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
      await throttle();
      const { data, error, headers } = await resend.emails.send({
        from: config.EMAIL_FROM,
        to: email.to_email,
        subject: message.subject,
        html: message.html,
        text: message.text,
        attachments: message.attachments,
      }, { idempotencyKey: email.id });
      if (data) {
        const [{ recorded }] = await asCaller(
          sql,
          claims,
          (tx) =>
            tx<{ recorded: boolean | null }[]>`
              select public.complete_email(${email.id}, ${data.id}) as recorded`,
        );
        report(
          email,
          "sent",
          `accepted by Resend as ${data.id}` +
            (recorded
              ? ""
              : " (its lease had lapsed: a later run sends it again, with the same idempotency key)"),
        );
        continue;
      }
      const name = error?.name ?? "unknown_error";
      const detail = `${name}: ${error?.message ?? "no message"}`;
      if (name === "rate_limit_exceeded") {
        const header = headers?.["retry-after"];
        retryAfter = Math.max(1, Math.ceil(Number(header ?? "1")) || 1);
        summary.rate_limited = true;
        await failed(email, `Resend answered ${detail}`, {
          error: detail,
          retryAfter,
          permanent: false,
          attempted: true,
        });
      } else {
        const permanent = permanentErrors.has(name);
        await failed(email, `Resend ${permanent ? "rejected the message" : "answered"} ${detail}`, {
          error: detail,
          retryAfter: null,
          permanent,
          attempted: true,
        });
      }
    }
    return json(summary);
  });

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(() => createSendEmails(readConfig(sendEmailsConfig, env, [emailService])));

export default fromEnv();
