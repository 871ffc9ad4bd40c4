// Sending one rendered email through Resend, at the plan's rate, once per outbox row (the row id is
// the Idempotency-Key), and what Resend's answer means for the outbox: sent, try again (after its
// Retry-After when it rate-limits us), or rejected for good.
import { Resend } from "resend";
import type { Rendered } from "./templates.ts";

/** Resend rejected the message itself: retrying can't help. */
const permanentErrors = new Set([
  "validation_error",
  "missing_required_field",
  "invalid_from_address",
  "invalid_attachment",
  "invalid_parameter",
]);

/** Resend's answer to one email. */
export type Delivery =
  | { sent: true; id: string }
  | {
    sent: false;
    /** Resend is rate-limiting us: stop this run. */
    rateLimited: boolean;
    /** What happened, for the report. */
    cause: string;
    /** What the outbox records. */
    error: string;
    permanent: boolean;
    /** Seconds, from Resend's Retry-After on a rate limit. */
    retryAfter: number | null;
  };

export interface MailerConfig {
  RESEND_API_KEY: string;
  RESEND_BASE_URL?: string;
  EMAIL_FROM: string;
  EMAIL_RATE_PER_SECOND: number;
}

/** Sends `message` to `to` as outbox row `id`, no faster than EMAIL_RATE_PER_SECOND. */
export function resendMailer(
  config: MailerConfig,
): (id: string, to: string, message: Rendered) => Promise<Delivery> {
  const resend = new Resend(config.RESEND_API_KEY, { baseUrl: config.RESEND_BASE_URL });
  const gapMs = 1000 / config.EMAIL_RATE_PER_SECOND;
  let nextSlot = 0;
  const throttle = async () => {
    const now = Date.now();
    const wait = Math.max(0, nextSlot - now);
    nextSlot = Math.max(now, nextSlot) + gapMs;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };

  return async (id, to, message) => {
    await throttle();
    const { data, error, headers } = await resend.emails.send({
      from: config.EMAIL_FROM,
      to,
      subject: message.subject,
      html: message.html,
      text: message.text,
      attachments: message.attachments,
      headers: message.headers,
    }, { idempotencyKey: id });
    if (data) return { sent: true, id: data.id };
    const name = error?.name ?? "unknown_error";
    const detail = `${name}: ${error?.message ?? "no message"}`;
    if (name === "rate_limit_exceeded") {
      const header = headers?.["retry-after"];
      return {
        sent: false,
        rateLimited: true,
        cause: `Resend answered ${detail}`,
        error: detail,
        permanent: false,
        retryAfter: Math.max(1, Math.ceil(Number(header ?? "1")) || 1),
      };
    }
    const permanent = permanentErrors.has(name);
    return {
      sent: false,
      rateLimited: false,
      cause: `Resend ${permanent ? "rejected the message" : "answered"} ${detail}`,
      error: detail,
      permanent,
      retryAfter: null,
    };
  };
}
