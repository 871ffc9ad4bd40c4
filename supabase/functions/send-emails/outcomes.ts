// What a run of send-emails did with each email it claimed, oldest first: its response and its
// log say, per email, sent, skipped (not attempted this run), retrying or dead, and why, with the
// outbox id and a masked recipient (the full address stays in the outbox row, with Resend's full
// error).
import type { OutboxEmail } from "./templates.ts";

/** An email claimed from the outbox (claim_emails). */
export interface ClaimedEmail extends OutboxEmail {
  /** essential, reminders, updates, digest or marketing: all but essential carry an unsubscribe link. */
  category: string;
  to_user_id: string | null;
  attempts: number;
  max_attempts: number;
}

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

/** A failure as the outbox records it (fail_email). */
export interface Failure {
  error: string;
  retryAfter: number | null;
  permanent: boolean;
  /** false: handed back without trying (skipped). */
  attempted: boolean;
}

/** "mia@example.com" -> "m***@example.com": enough to spot a domain's trouble, not the address. */
function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 1) return "***";
  return `${address[0]}***${address.slice(at)}`;
}

/** Masks every address in a message (Resend's errors may quote the recipient). */
const maskAddresses = (text: string): string =>
  text.replace(/[^\s@<>"'`,;:()]+@[^\s@<>"'`,;:()]+/g, maskEmail);

/** The log line of each outcome: dead ones are errors, sent ones info, the rest warnings. */
export function logOutcome(line: string, e: EmailOutcome): void {
  if (e.outcome === "dead") console.error(line);
  else if (e.outcome === "sent") console.log(line);
  else console.warn(line);
}

/** A run's summary of `claimed` emails, with each outcome added to it and logged as it happens. */
export function runReport(
  claimed: number,
  log: (line: string, outcome: EmailOutcome) => void,
) {
  const summary: Summary = {
    claimed,
    sent: 0,
    skipped: 0,
    retrying: 0,
    dead: 0,
    rate_limited: false,
    emails: [],
  };
  const report = (email: ClaimedEmail, outcome: EmailOutcome["outcome"], reason: string) => {
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
  /** Reports a failure (`cause`) with the consequence the outbox decided (`status`). */
  const failed = (email: ClaimedEmail, cause: string, failure: Failure, status: string) => {
    const of = `attempt ${email.attempts} of ${email.max_attempts}`;
    if (status === "dead") {
      report(
        email,
        "dead",
        failure.permanent ? `${cause}; not retried` : `${cause}; ${of} was the last`,
      );
    } else {
      const when = failure.retryAfter
        ? `retry after ${failure.retryAfter} s`
        : "retry with backoff";
      report(email, failure.attempted ? "retrying" : "skipped", `${cause}; ${of}, ${when}`);
    }
  };
  return { summary, report, failed };
}
