// Email templates, all of them: subject, HTML and text, with real names, dates and time zones, and
// the one-click unsubscribe footer and headers of non-essential email.
export interface OutboxEmail {
  id: string;
  template: string;
  to_email: string;
  payload: Record<string, unknown>;
}

export interface Rendered {
  subject: string;
  html: string;
  text: string;
  attachments?: { filename: string; content: string; contentType: string }[];
  /** Extra headers: List-Unsubscribe and List-Unsubscribe-Post on non-essential email. */
  headers?: Record<string, string>;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function when(p: Record<string, unknown>, key = "starts_at"): string {
  const tz = typeof p.timezone === "string" ? p.timezone : "UTC";
  const date = new Date(String(p[key]));
  return new Intl.DateTimeFormat("en-GB", {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: tz,
    timeZoneName: "short",
  }).format(date);
}

/** The payload's amount `key` (minor units, e.g. cents) in its currency, e.g. "£49.00". */
const money = (p: Record<string, unknown>, key: string) =>
  new Intl.NumberFormat("en-GB", { style: "currency", currency: String(p.currency) }).format(
    Number(p[key]) / 100,
  );

/** A payload number (points, percent) as people write it: "72", "72.5". */
const num = (v: unknown) =>
  new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 }).format(Number(v));

const icsDate = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

/** An iCalendar invite for a session (RFC 5545), so it lands in the student's calendar. */
function sessionIcs(p: Record<string, unknown>, siteUrl: string): string {
  const start = new Date(String(p.starts_at));
  const end = new Date(start.getTime() + Number(p.duration_minutes ?? 60) * 60_000);
  const text = (s: string) =>
    s.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\n/g, "\\n");
  return [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//coursebase//live sessions//EN",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${p.session_id}@coursebase`,
    `DTSTAMP:${icsDate(new Date())}`,
    `DTSTART:${icsDate(start)}`,
    `DTEND:${icsDate(end)}`,
    `SUMMARY:${text(String(p.title))}`,
    `URL:${siteUrl}/live/${p.session_id}`,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

function layout(
  title: string,
  paragraphs: string[],
  cta?: { label: string; url: string },
): { html: string; text: string } {
  const html =
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">` +
    `<h2>${esc(title)}</h2>${paragraphs.map((p) => `<p>${esc(p)}</p>`).join("")}` +
    (cta ? `<p><a href="${esc(cta.url)}">${esc(cta.label)}</a></p>` : "") + `</body></html>`;
  const text = [title, "", ...paragraphs, ...(cta ? ["", `${cta.label}: ${cta.url}`] : [])].join(
    "\n",
  );
  return { html, text };
}

/** A list of lines under a heading, each optionally linked (the weekly digest). */
interface Section {
  heading: string;
  items: { text: string; url?: string }[];
}

function sectionsLayout(
  title: string,
  intro: string,
  sections: Section[],
  cta: { label: string; url: string },
): { html: string; text: string } {
  const item = (i: Section["items"][number]) =>
    `<li>${i.url ? `<a href="${esc(i.url)}">${esc(i.text)}</a>` : esc(i.text)}</li>`;
  const html =
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">` +
    `<h2>${esc(title)}</h2><p>${esc(intro)}</p>` +
    sections.map((s) => `<h3>${esc(s.heading)}</h3><ul>${s.items.map(item).join("")}</ul>`)
      .join("") +
    `<p><a href="${esc(cta.url)}">${esc(cta.label)}</a></p></body></html>`;
  const text = [
    title,
    "",
    intro,
    ...sections.flatMap((s) => [
      "",
      s.heading,
      ...s.items.map((i) => `- ${i.text}${i.url ? ` (${i.url})` : ""}`),
    ]),
    "",
    `${cta.label}: ${cta.url}`,
  ].join("\n");
  return { html, text };
}

type Row = Record<string, unknown>;
/** The payload's `group.key` list (the weekly digest's sections); [] when absent. */
const rows = (p: Record<string, unknown>, group: string, key: string): Row[] => {
  const list = (p[group] as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(list) ? list as Row[] : [];
};
const plural = (n: unknown, one: string, many: string) =>
  `${num(n)} ${Number(n) === 1 ? one : many}`;

/** The weekly digest: the sections digest_sections() found for the recipient, in a fixed order. */
function weeklyDigest(p: Record<string, unknown>, siteUrl: string): Rendered {
  const name = typeof p.display_name === "string" && p.display_name ? p.display_name : "there";
  const start = new Date(String(p.period_start));
  const week = Number.isNaN(start.getTime()) ? null : new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(start);
  const sections: Section[] = [];
  const add = (heading: string, items: Section["items"]) => {
    if (items.length) sections.push({ heading, items });
  };
  add(
    "Your progress",
    rows(p, "student", "progress").map((r) => ({
      text: `${r.course_title}: ${
        plural(r.lessons_completed, "lesson", "lessons")
      } completed this week, ${num(r.percent)}% of the course done`,
      url: `${siteUrl}/courses/${r.course_id}`,
    })),
  );
  add(
    "New lessons in your courses",
    rows(p, "student", "new_lessons").map((r) => ({
      text: `${r.course_title}: ${r.title}`,
      url: `${siteUrl}/lessons/${r.lesson_id}`,
    })),
  );
  add(
    "Live sessions coming up",
    rows(p, "student", "live_sessions").map((r) => ({
      text: `${r.title} (${r.course_title}), ${when(r)}`,
      url: `${siteUrl}/live/${r.session_id}`,
    })),
  );
  add(
    "Answers to your questions",
    rows(p, "student", "answers").map((r) => ({
      text: `${r.title} (${r.course_title}): ${plural(r.answers, "new answer", "new answers")}`,
      url: `${siteUrl}/questions/${r.doubt_id}`,
    })),
  );
  add(
    "New students",
    rows(p, "teaching", "enrolments").map((r) => ({
      text: `${r.course_title}: ${plural(r.new_students, "new student", "new students")}`,
      url: `${siteUrl}/teach/courses/${r.course_id}`,
    })),
  );
  add(
    "Revenue",
    rows(p, "teaching", "revenue").map((r) => ({
      text: `${money(r, "net")} net of refunds: ${plural(r.orders, "order", "orders")}, ${
        money(r, "gross")
      } in sales, ${money(r, "refunded")} refunded`,
    })),
  );
  add(
    "Questions waiting for an answer",
    rows(p, "teaching", "questions_waiting").map((r) => ({
      text: `${r.course_title}: ${plural(r.questions, "question", "questions")} waiting`,
      url: `${siteUrl}/teaching/questions`,
    })),
  );
  add(
    "Reviews",
    rows(p, "teaching", "reviews").map((r) => ({
      text: `${r.course_title}: ${plural(r.reviews, "new review", "new reviews")}, average ${
        num(r.average_rating)
      } of 5`,
      url: `${siteUrl}/courses/${r.course_id}`,
    })),
  );
  return {
    subject: week ? `Your week: ${week}` : "Your week",
    ...sectionsLayout(
      `Hi ${name}, here is your week`,
      `What happened in your courses ${week ? `in the week from ${week}` : "this week"}.`,
      sections,
      { label: "Open your dashboard", url: `${siteUrl}/dashboard` },
    ),
  };
}

/** Why a non-essential email came, in its unsubscribe footer, by category. */
const unsubscribeReason: Record<string, string> = {
  reminders: "reminders of your live sessions",
  updates: "updates about your courses and work",
  digest: "the weekly digest",
  marketing: "news and offers",
};

export interface RenderOptions {
  /**
   * The recipient's one-click unsubscribe link (send-emails signs it for every non-essential
   * email): a footer in the HTML and text, and the List-Unsubscribe headers of RFC 8058.
   */
  unsubscribeUrl?: string;
  /** The email's category (its footer says what the link turns off). */
  category?: string;
}

/** The email for an outbox row: its template, and an unsubscribe footer and headers when asked. */
export function render(email: OutboxEmail, siteUrl: string, options: RenderOptions = {}): Rendered {
  const message = renderTemplate(email, siteUrl);
  const url = options.unsubscribeUrl;
  if (!url) return message;
  const what = unsubscribeReason[options.category ?? ""] ?? "these emails";
  const note = `You get this email because you are subscribed to ${what}.`;
  return {
    ...message,
    html: message.html.replace(
      /<\/body><\/html>$/,
      `<hr><p style="font-size:12px;color:#666">${esc(note)} <a href="${
        esc(url)
      }">Unsubscribe</a> or <a href="${
        esc(`${siteUrl}/settings/email`)
      }">manage your email preferences</a>.</p></body></html>`,
    ),
    text:
      `${message.text}\n\n--\n${note}\nUnsubscribe: ${url}\nEmail preferences: ${siteUrl}/settings/email`,
    headers: {
      "List-Unsubscribe": `<${url}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

function renderTemplate(email: OutboxEmail, siteUrl: string): Rendered {
  const p = email.payload;
  const title = String(p.title ?? "");
  const link = { label: "Open the session", url: `${siteUrl}/live/${p.session_id}` };
  switch (email.template) {
    case "welcome": {
      const name = typeof p.display_name === "string" && p.display_name ? p.display_name : "there";
      return {
        subject: "Welcome aboard",
        ...layout(`Welcome, ${name}!`, [
          "Your account is ready. Browse the catalog and start learning today.",
        ], {
          label: "Browse courses",
          url: `${siteUrl}/courses`,
        }),
      };
    }
    case "webinar_registration":
      return {
        subject: `You're registered: ${title}`,
        ...layout(`You're registered for ${title}`, [
          `It starts ${when(p)} and lasts ${p.duration_minutes} minutes.`,
          "The join link appears on the session page shortly before the start. The attached invite adds it to your calendar.",
        ], link),
        attachments: [{
          filename: "session.ics",
          content: btoa(sessionIcs(p, siteUrl)),
          contentType: "text/calendar; method=REQUEST",
        }],
      };
    case "webinar_reminder_24h":
    case "webinar_reminder_1h": {
      const soon = email.template === "webinar_reminder_1h" ? "in one hour" : "tomorrow";
      return {
        subject: `Starting ${soon}: ${title}`,
        ...layout(`${title} starts ${soon}`, [`It starts ${when(p)}.`], link),
      };
    }
    case "webinar_cancelled":
      return {
        subject: `Cancelled: ${title}`,
        ...layout(`${title} is cancelled`, [
          `The session planned for ${when(p)} will not take place.`,
        ]),
      };
    case "webinar_rescheduled":
      return {
        subject: `New time: ${title}`,
        ...layout(`${title} has moved`, [
          `It now starts ${when(p)} (it was ${when(p, "previous_starts_at")}).`,
        ], link),
      };
    case "purchase_receipt": {
      const lines = [`Thank you for your purchase of ${title}.`, `Price: ${money(p, "subtotal")}`];
      if (Number(p.discount) > 0) lines.push(`Discount: -${money(p, "discount")}`);
      lines.push(`Total paid: ${money(p, "total")}`, `Order reference: ${p.order_id}`);
      return {
        subject: `Your receipt: ${title}`,
        ...layout("Receipt", lines, {
          label: "Start learning",
          url: `${siteUrl}/orders/${p.order_id}`,
        }),
      };
    }
    case "payment_failed":
      return {
        subject: "Your payment did not go through",
        ...layout("Payment failed", [
          "Your bank declined the payment, so the order was not completed. You have not been charged.",
          `Order reference: ${p.order_id}`,
        ], { label: "Try again", url: `${siteUrl}/orders/${p.order_id}` }),
      };
    case "refund_issued": {
      const amount = money(p, "amount_refunded");
      return {
        subject: "Your refund is on its way",
        ...layout("Refund issued", [
          `We have refunded ${amount}. It reaches your account within 5 to 10 business days.`,
          `Order reference: ${p.order_id}`,
        ]),
      };
    }
    case "order_auto_refund": {
      const amount = money(p, "total");
      const why = p.reason === "seat_lost"
        ? `The last seat in ${title} was taken before your payment reached us.`
        : p.reason === "already_owned"
        ? `You already have ${title}: another order paid for it, so this second payment comes back to you.`
        : `${title} is no longer taking place.`;
      return {
        subject: `We are refunding your order: ${title}`,
        ...layout("Your order is being refunded", [
          why,
          `We are refunding the full ${amount}. It reaches your account within 5 to 10 business days.`,
          `Order reference: ${p.order_id}`,
        ], { label: "Browse sessions", url: `${siteUrl}/live` }),
      };
    }
    case "subscription_renewed": {
      const amount = money(p, "amount");
      return {
        subject: "Your subscription has renewed",
        ...layout("Subscription renewed", [
          `We charged ${amount}. Your access continues without interruption.`,
        ], {
          label: "Keep learning",
          url: `${siteUrl}/dashboard`,
        }),
      };
    }
    case "subscription_cancelled":
      return {
        subject: "Your subscription has ended",
        ...layout("Subscription ended", [
          "Your subscription is cancelled and its courses are no longer available. You can subscribe again at any time.",
        ], { label: "See plans", url: `${siteUrl}/plans` }),
      };
    case "submission_graded": {
      const score = `${num(p.points)} of ${num(p.max_points)} points`;
      const lines = [
        `${p.regraded ? "Your grade was updated" : "Your work was graded"}: ${score}${
          p.passed ? ", a pass." : ", not a pass yet."
        }`,
      ];
      if (Number(p.late_penalty_percent) > 0) {
        lines.push(
          `It was late: ${num(p.raw_points)} points less the ${
            num(p.late_penalty_percent)
          }% late penalty.`,
        );
      }
      if (typeof p.feedback === "string" && p.feedback) lines.push(`Feedback: ${p.feedback}`);
      return {
        subject: `Graded: ${title}`,
        ...layout(`${title} (${String(p.course_title ?? "")})`, lines, {
          label: "See your submission",
          url: `${siteUrl}/lessons/${p.lesson_id}`,
        }),
      };
    }
    case "certificate_issued":
      return {
        subject: `Your certificate: ${String(p.course_title)}`,
        ...layout("Congratulations!", [
          `You completed ${p.course_title}. Your certificate is ready; anyone can check it with its serial ${p.serial}.`,
        ], { label: "See your certificate", url: `${siteUrl}/certificates/${p.serial}` }),
      };
    case "certificate_revoked": {
      const whose = p.recipient === "owner"
        ? `${p.holder_name}'s certificate for ${p.course_title}`
        : `Your certificate for ${p.course_title}`;
      return {
        subject: `Certificate revoked: ${String(p.course_title)}`,
        ...layout("A certificate was revoked", [
          `${whose} (serial ${p.serial}) was revoked. Reason: ${p.reason}`,
          "Verifying it now shows it as revoked.",
        ], { label: "See the certificate", url: `${siteUrl}/certificates/${p.serial}` }),
      };
    }
    case "doubt_answered": {
      const who = String(p.answered_by || "Someone") + (p.by_staff ? " (course staff)" : "");
      const lines = [
        `${who} answered your question in ${String(p.course_title ?? "your course")}.`,
      ];
      if (typeof p.excerpt === "string" && p.excerpt) lines.push(p.excerpt);
      return {
        subject: `New answer: ${title}`,
        ...layout(title, lines, {
          label: "Read the answer",
          url: `${siteUrl}/questions/${p.doubt_id}`,
        }),
      };
    }
    case "doubt_digest": {
      const count = Number(p.count ?? 0);
      const questions = Array.isArray(p.questions) ? p.questions as Record<string, unknown>[] : [];
      const lines = questions.map((q) =>
        `${String(q.title)} (${String(q.course_title)}, asked by ${
          String(q.author_name || "a student")
        }${q.visibility === "staff" ? ", privately to staff" : ""})`
      );
      if (count > questions.length) lines.push(`And ${count - questions.length} more.`);
      const what = count === 1 ? "1 new question" : `${count} new questions`;
      return {
        subject: `${what} from your students`,
        ...layout(`${what} waiting for you`, lines, {
          label: "Answer them",
          url: `${siteUrl}/teaching/questions`,
        }),
      };
    }
    case "weekly_digest":
      return weeklyDigest(p, siteUrl);
    case "system_alert":
      return {
        subject: `[Alert] ${String(p.subject ?? "System alert")}`,
        ...layout(String(p.subject ?? "System alert"), [String(p.message ?? "")]),
      };
    default:
      throw new UnknownTemplateError(email.template);
  }
}

class UnknownTemplateError extends Error {
  constructor(template: string) {
    super(`unknown email template "${template}"`);
  }
}
