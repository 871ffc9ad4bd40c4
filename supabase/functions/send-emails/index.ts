// POST /functions/v1/send-emails (service role): drains the email outbox through Resend.
// claim -> render -> send (Idempotency-Key = outbox id, rate-limited) -> record, all SQL run as the
// caller, so only the service role may drain the outbox (claim_emails is granted to it alone).
import { Resend } from "resend";
import { z } from "zod";
import { callerClaims } from "../_shared/auth.ts";
import { databaseUrl, lazyHandler, readConfig } from "../_shared/config.ts";
import { asCaller, type Claims, connect, type Sql } from "../_shared/db.ts";
import { handle, HttpError, json, readJson } from "../_shared/http.ts";
import { type OutboxEmail, render } from "./templates.ts";

export const sendEmailsConfig = z.object({
  SUPABASE_DB_URL: databaseUrl,
  RESEND_API_KEY: z.string().min(1),
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

interface Summary {
  claimed: number;
  sent: number;
  retrying: number;
  dead: number;
  rate_limited: boolean;
}

export function createSendEmails(config: SendEmailsConfig, deps: { sql?: Sql } = {}) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
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
    const claims = callerClaims(req);
    const body = requestBody.parse(await readJson(req, {}));
    const batch = body.batch_size ?? config.EMAIL_BATCH_SIZE;
    const worker = `send-emails:${crypto.randomUUID()}`;
    const claimed = await asCaller(sql, claims, (tx) =>
      tx<OutboxEmail[]>`
        select id, template, to_email, payload
        from public.claim_emails(${batch}, ${config.EMAIL_LEASE_SECONDS}, ${worker})`);

    const summary: Summary = {
      claimed: claimed.length,
      sent: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
    };
    let retryAfter: number | null = null;
    for (const email of claimed) {
      const count = (status: string) => status === "dead" ? summary.dead++ : summary.retrying++;
      if (summary.rate_limited) {
        // Resend said stop: hand the rest back for after the Retry-After.
        count(await fail(claims, email.id, "not sent: rate limited", retryAfter, false));
        continue;
      }
      let message;
      try {
        message = render(email, config.SITE_URL);
      } catch (e) {
        count(await fail(claims, email.id, String(e), null, true));
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
        await asCaller(
          sql,
          claims,
          (tx) => tx`select public.complete_email(${email.id}, ${data.id})`,
        );
        summary.sent++;
        continue;
      }
      const name = error?.name ?? "unknown_error";
      const detail = `${name}: ${error?.message ?? "no message"}`;
      if (name === "rate_limit_exceeded") {
        const header = headers?.["retry-after"];
        retryAfter = Math.max(1, Math.ceil(Number(header ?? "1")) || 1);
        summary.rate_limited = true;
        count(await fail(claims, email.id, detail, retryAfter, false));
      } else {
        count(await fail(claims, email.id, detail, null, permanentErrors.has(name)));
      }
    }
    return json(summary);
  });

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

export default lazyHandler(() => createSendEmails(readConfig(sendEmailsConfig)));
