import assert from "node:assert/strict";
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { connect } from "../_shared/db.ts";
import { authHeaders, startTestProject } from "../_shared/testing/auth.ts";
import {
  rateLimited,
  serverError,
  startFakeResend,
  validationError,
} from "../_shared/testing/fake-resend.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { createSendEmails, fromEnv, sendEmailsConfig } from "./index.ts";
import { withConsoleError } from "../_shared/testing/console.ts";
import { postJson } from "../_shared/testing/requests.ts";
import { verifyUnsubscribeToken } from "../_shared/unsubscribe.ts";

const UNSUBSCRIBE_SECRET = "test-unsubscribe-secret-0123456789abcdef";

// Every test opens with `const t = await setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
async function setup(rate = 1000) {
  const sql = connect(testDbUrl(), { max: 2 });
  // Start from an outbox with nothing due, so each test sees only its own emails.
  await sql`update private.email_outbox set status = 'sent' where status in ('pending', 'sending')`;
  const fake = startFakeResend();
  const project = await startTestProject();
  const config = sendEmailsConfig.parse({
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    RESEND_API_KEY: "re_test_key",
    EMAIL_FROM: "Coursebase <hello@example.com>",
    RESEND_BASE_URL: fake.url,
    SITE_URL: "https://learn.example.com",
    EMAIL_RATE_PER_SECOND: String(rate),
    EMAIL_UNSUBSCRIBE_SECRET: UNSUBSCRIBE_SECRET,
  });
  const user = await createUser(sql, `mail-${crypto.randomUUID().slice(0, 8)}@test.local`, {
    metadata: { display_name: "Mia Mail" },
  });
  const enqueue = async (template: string, payload: Record<string, unknown> = {}) => {
    const [{ id }] = await sql<{ id: string }[]>`
      select private.enqueue_email(${template}, 'essential', ${user}, ${
      sql.json(payload as never)
    }) as id`;
    return id;
  };
  /** A run, as pg_cron starts it: the secret key on apikey (or other credentials). */
  const drain = (
    handler: { fetch: (r: Request) => Promise<Response> },
    creds: { bearer?: string; apikey?: string } = { apikey: project.secretKey },
  ) =>
    handler.fetch(
      postJson("send-emails", {}, authHeaders(creds)),
    );
  const outbox = (id: string) =>
    sql<
      {
        status: string;
        attempts: number;
        next_attempt_at: Date;
        provider_message_id: string | null;
        last_error: string | null;
      }[]
    >`
      select status, attempts, next_attempt_at, provider_message_id, last_error from private.email_outbox where id = ${id}`
      .then((r) => r[0]);
  const teardown = async (...handlers: { close: () => Promise<void> }[]) => {
    for (const h of handlers) await h.close();
    await fake.close();
    await project.close();
    await deleteUsers(sql, [user]);
    await sql.end();
  };
  return { sql, fake, project, config, user, enqueue, drain, outbox, teardown };
}

/** A run's counts, without the per-email list. */
const counts = ({ emails: _, ...rest }: Record<string, unknown>) => rest;

const session = {
  session_id: "5f0c2c52-7c1a-4b8e-9a51-4a3c1f8d2e10",
  title: "Postgres office hours",
  starts_at: "2026-12-01T17:00:00Z",
  duration_minutes: 45,
  timezone: "Europe/Paris",
};

Deno.test("send-emails: delivers each due email once, keyed by its outbox id, with an .ics invite", async () => {
  const t = await setup();
  const handler = createSendEmails(t.config);
  try {
    const registration = await t.enqueue("webinar_registration", session);
    const res = await t.drain(handler);
    assert.equal(res.status, 200);
    assert.deepEqual(counts(await res.json()), {
      claimed: 2,
      sent: 2,
      skipped: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
    });

    const sent = t.fake.requests.filter((r) => r.path === "/emails");
    assert.equal(sent.length, 2, "the welcome email and the registration");
    const reg = sent.find((r) => r.headers["idempotency-key"] === registration)!;
    assert.ok(reg, "Idempotency-Key is the outbox id");
    assert.equal(reg.body!.subject, "You're registered: Postgres office hours");
    assert.match(
      String(reg.body!.text),
      /Tuesday, 1 December 2026 at 18:00 CET/,
      "the date in the session's time zone",
    );
    const [ics] = reg.body!.attachments as { filename: string; content: string }[];
    assert.equal(ics.filename, "session.ics");
    const calendar = atob(ics.content);
    assert.match(
      calendar,
      /BEGIN:VEVENT[\s\S]*DTSTART:20261201T170000Z[\s\S]*DTEND:20261201T174500Z/,
    );
    const welcome = sent.find((r) => r.body!.subject === "Welcome aboard")!;
    assert.match(String(welcome.body!.html), /Welcome, Mia Mail!/);

    const row = await t.outbox(registration);
    assert.equal(row.status, "sent");
    assert.ok(row.provider_message_id);
    const again = await (await t.drain(handler)).json();
    assert.equal(again.claimed, 0, "nothing is sent twice");
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: non-essential email carries a signed one-click unsubscribe link and the RFC 8058 headers; essential email none", async () => {
  const t = await setup();
  const handler = createSendEmails(t.config);
  try {
    const [{ id: digest }] = await t.sql<{ id: string }[]>`
      select private.enqueue_email('weekly_digest', 'digest', ${t.user}, ${
      t.sql.json({ period_start: "2026-11-23T00:00:00+00:00", display_name: "Mia Mail" })
    }) as id`;
    const res = await t.drain(handler);
    assert.equal((await res.json()).sent, 2, "the digest and the welcome email");
    const sent = t.fake.requests.filter((r) => r.path === "/emails");
    const mail = sent.find((r) => r.headers["idempotency-key"] === digest)!;
    const headers = mail.body!.headers as Record<string, string>;
    assert.equal(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click");
    const link = headers["List-Unsubscribe"].match(/^<(.+)>$/)![1];
    const url = new URL(link);
    assert.equal(
      url.origin + url.pathname,
      `${t.config.SUPABASE_URL}/functions/v1/unsubscribe`,
      "the unsubscribe function, on the project's URL",
    );
    assert.deepEqual(
      await verifyUnsubscribeToken(UNSUBSCRIBE_SECRET, url.searchParams.get("token")!),
      { userId: t.user, category: "digest" },
      "the token unsubscribes this recipient from the digest",
    );
    assert.ok(
      String(mail.body!.text).endsWith(
        `Unsubscribe: ${link}\nEmail preferences: https://learn.example.com/settings/email`,
      ),
    );
    assert.ok(String(mail.body!.html).includes(`<a href="${link}">Unsubscribe</a>`));
    const welcome = sent.find((r) => r.body!.subject === "Welcome aboard")!;
    assert.equal(welcome.body!.headers, undefined, "essential email has no unsubscribe");
    assert.doesNotMatch(String(welcome.body!.text), /Unsubscribe/);
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: two concurrent senders deliver every email exactly once", async () => {
  const t = await setup();
  const a = createSendEmails(t.config);
  const b = createSendEmails(t.config);
  try {
    const ids = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) => t.enqueue("system_alert", { subject: `Alert ${i}`, message: "m" }),
      ),
    );
    const [ra, rb] = await Promise.all([t.drain(a), t.drain(b)]);
    const [sa, sb] = [await ra.json(), await rb.json()];
    assert.equal(sa.sent + sb.sent, 31, "30 alerts and the welcome email");
    const keys = t.fake.requests.filter((r) => r.path === "/emails").map((r) =>
      r.headers["idempotency-key"]
    );
    assert.equal(keys.length, 31, "no email was sent twice");
    assert.equal(new Set(keys).size, 31);
    for (const id of ids) assert.equal((await t.outbox(id)).status, "sent");
  } finally {
    await t.teardown(a, b);
  }
});

Deno.test("send-emails: 500 retries with backoff, 422 is dead at once, the last attempt dead-letters", async () => {
  const t = await setup();
  const handler = createSendEmails(t.config);
  try {
    await t.sql`update private.email_outbox set status = 'sent' where to_user_id = ${t.user}`; // the welcome email
    const flaky = await t.enqueue("system_alert", { subject: "Flaky", message: "m" });
    t.fake.reply(serverError);
    assert.deepEqual(counts(await (await t.drain(handler)).json()), {
      claimed: 1,
      sent: 0,
      skipped: 0,
      retrying: 1,
      dead: 0,
      rate_limited: false,
    });
    let row = await t.outbox(flaky);
    assert.equal(row.status, "pending");
    assert.equal(row.attempts, 1);
    assert.match(String(row.last_error), /internal_server_error/);
    assert.ok(row.next_attempt_at.getTime() > Date.now() + 20_000, "backs off about 30 s");

    await t
      .sql`update private.email_outbox set next_attempt_at = now(), attempts = max_attempts - 1 where id = ${flaky}`;
    t.fake.reply(serverError);
    assert.equal((await (await t.drain(handler)).json()).dead, 1);
    row = await t.outbox(flaky);
    assert.equal(row.status, "dead", "dead-lettered after the last attempt");

    const invalid = await t.enqueue("system_alert", { subject: "Bad address", message: "m" });
    t.fake.reply(validationError);
    assert.equal((await (await t.drain(handler)).json()).dead, 1);
    assert.equal((await t.outbox(invalid)).status, "dead", "a rejected message is not retried");
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: a 429 stops the run and hands the rest back after Retry-After", async () => {
  const t = await setup();
  const handler = createSendEmails(t.config);
  try {
    const ids = [
      await t.enqueue("system_alert", { subject: "A", message: "m" }),
      await t.enqueue("system_alert", { subject: "B", message: "m" }),
    ];
    t.fake.reply(rateLimited(7));
    const summary = await (await t.drain(handler)).json();
    assert.equal(summary.rate_limited, true);
    assert.equal(summary.sent, 0);
    assert.equal(t.fake.requests.length, 1, "no further requests after the 429");
    for (const id of [...ids]) {
      const row = await t.outbox(id);
      assert.equal(row.status, "pending");
      const wait = row.next_attempt_at.getTime() - Date.now();
      assert.ok(wait > 5_000 && wait <= 7_500, `retried after Retry-After (${wait} ms)`);
    }
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: respects the configured send rate", async () => {
  const t = await setup(20);
  const handler = createSendEmails(t.config);
  try {
    for (let i = 0; i < 5; i++) await t.enqueue("system_alert", { subject: `R${i}`, message: "m" });
    const started = performance.now();
    assert.equal((await (await t.drain(handler)).json()).sent, 6);
    assert.ok(performance.now() - started >= 5 * 50 - 5, "six sends at 20/s take at least 250 ms");
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: only a service caller may drain the outbox", async () => {
  const t = await setup();
  const handler = createSendEmails(t.config);
  try {
    for (
      const creds of [
        { bearer: await t.project.accessToken(t.sql, t.user), apikey: t.project.publishableKey },
        { apikey: t.project.publishableKey },
      ]
    ) {
      const res = await t.drain(handler, creds);
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error.code, "service_only");
    }
    assert.equal(t.fake.requests.length, 0);
    const [{ n }] = await t
      .sql`select count(*)::int as n from private.email_outbox where to_user_id = ${t.user} and status = 'pending'`;
    assert.equal(n, 1, "the welcome email is still waiting");
    const notJson = await handler.fetch(
      new Request("http://localhost/send-emails", {
        method: "POST",
        headers: { apikey: t.project.secretKey },
        body: "batch=5",
      }),
    );
    assert.equal(notJson.status, 400, "a body that is not JSON is the caller's mistake");
    assert.equal((await notJson.json()).error.code, "invalid_json");
    const empty = await handler.fetch(
      new Request("http://localhost/send-emails", {
        method: "POST",
        headers: { authorization: `Bearer ${t.project.legacyServiceKey}` },
      }),
    );
    assert.equal(empty.status, 200, "the body is optional");
    await empty.body?.cancel();
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("templates: every template renders, and an unknown one is refused", async () => {
  const { render } = await import("./templates.ts");
  const email = (template: string, payload: Record<string, unknown>) => ({
    id: "x",
    template,
    to_email: "a@b.c",
    payload,
  });
  const site = "https://learn.example.com";
  for (
    const template of [
      "webinar_reminder_24h",
      "webinar_reminder_1h",
      "webinar_cancelled",
      "webinar_registration",
    ]
  ) {
    const r = render(email(template, session), site);
    assert.match(r.subject, /Postgres office hours/, template);
    assert.match(r.text, /Tuesday, 1 December 2026 at 18:00 CET/, template);
  }
  const moved = render(
    email("webinar_rescheduled", { ...session, previous_starts_at: "2026-11-30T17:00:00Z" }),
    site,
  );
  assert.match(moved.text, /was Monday, 30 November 2026 at 18:00 CET/);
  assert.match(
    render(email("system_alert", { subject: "Disk", message: "90%" }), site).subject,
    /^\[Alert\] Disk$/,
  );
  assert.match(
    render(email("welcome", { display_name: "<b>Eve</b>" }), site).html,
    /&lt;b&gt;Eve&lt;\/b&gt;/,
    "names are escaped",
  );
  const receipt = render(
    email("purchase_receipt", {
      order_id: "o1",
      title: "SQL",
      currency: "EUR",
      subtotal: 4500,
      discount: 900,
      total: 3600,
    }),
    site,
  );
  assert.match(
    receipt.text,
    /Price: €45\.00\nDiscount: -€9\.00\nTotal paid: €36\.00/,
    "money from minor units",
  );
  assert.match(
    render(email("refund_issued", { order_id: "o1", currency: "USD", amount_refunded: 1250 }), site)
      .text,
    /refunded US\$12\.50/,
  );
  assert.match(
    render(email("payment_failed", { order_id: "o1" }), site).subject,
    /did not go through/,
  );
  assert.match(
    render(email("subscription_renewed", { amount: 1900, currency: "USD" }), site).text,
    /charged US\$19\.00/,
  );
  assert.match(render(email("subscription_cancelled", {}), site).subject, /has ended/);
  const autoRefund = render(
    email("order_auto_refund", {
      order_id: "o2",
      title: "Tiny class",
      reason: "seat_lost",
      currency: "USD",
      total: 900,
    }),
    site,
  );
  assert.match(autoRefund.subject, /refunding your order: Tiny class/);
  assert.match(autoRefund.text, /last seat in Tiny class was taken/);
  assert.match(autoRefund.text, /refunding the full US\$9\.00/);
  assert.match(autoRefund.text, /refunding the full US\$9\.00/);
  const graded = render(
    email("submission_graded", {
      title: "Write a policy test",
      course_title: "Postgres RLS",
      lesson_id: "l1",
      points: "72.00",
      raw_points: 80,
      max_points: "100.00",
      late_penalty_percent: "10.00",
      passed: true,
      feedback: "Add a <case> for anon.",
      regraded: false,
    }),
    site,
  );
  assert.equal(graded.subject, "Graded: Write a policy test");
  assert.match(graded.text, /Your work was graded: 72 of 100 points, a pass\./);
  assert.match(graded.text, /late: 80 points less the 10% late penalty/);
  assert.match(graded.text, /Feedback: Add a <case> for anon\./);
  assert.match(graded.html, /Add a &lt;case&gt; for anon/, "feedback is escaped");
  assert.match(graded.text, /See your submission: https:\/\/learn\.example\.com\/lessons\/l1/);
  const regraded = render(
    email("submission_graded", {
      title: "Essay",
      course_title: "Writing",
      lesson_id: "l2",
      points: "45.5",
      max_points: "100.00",
      late_penalty_percent: "0.00",
      passed: false,
      feedback: null,
      regraded: true,
    }),
    site,
  );
  assert.match(regraded.text, /Your grade was updated: 45\.5 of 100 points, not a pass yet\./);
  assert.doesNotMatch(regraded.text, /late|Feedback/);
  const cert = {
    serial: "7C3A-91F0-2B6D-E845-0A1C-5F93",
    course_title: "Modern CSS",
    holder_name: "Zoë",
  };
  const issued = render(email("certificate_issued", cert), site);
  assert.match(issued.subject, /Your certificate: Modern CSS/);
  assert.match(issued.text, /\/certificates\/7C3A-91F0-2B6D-E845-0A1C-5F93/);
  const revoked = { ...cert, reason: "Plagiarism" };
  assert.match(
    render(email("certificate_revoked", { ...revoked, recipient: "holder" }), site).text,
    /Your certificate for Modern CSS \(serial 7C3A-91F0-2B6D-E845-0A1C-5F93\) was revoked\. Reason: Plagiarism/,
  );
  assert.match(
    render(email("certificate_revoked", { ...revoked, recipient: "owner" }), site).text,
    /Zoë's certificate for Modern CSS/,
  );
  const answered = render(
    email("doubt_answered", {
      doubt_id: "d1",
      title: "Why no rows?",
      course_title: "Postgres RLS",
      answered_by: "Priya <Raman>",
      by_staff: true,
      excerpt: "Add a select policy.",
    }),
    site,
  );
  assert.equal(answered.subject, "New answer: Why no rows?");
  assert.match(
    answered.text,
    /Priya <Raman> \(course staff\) answered your question in Postgres RLS\./,
  );
  assert.match(answered.text, /Add a select policy\./);
  assert.match(answered.html, /Priya &lt;Raman&gt;/, "names are escaped");
  assert.match(answered.text, /Read the answer: https:\/\/learn\.example\.com\/questions\/d1/);
  const digest = render(
    email("doubt_digest", {
      count: 22,
      questions: [
        { title: "Why no rows?", course_title: "Postgres RLS", author_name: "Sam" },
        { title: "My grade", course_title: "Postgres RLS", author_name: "", visibility: "staff" },
      ],
    }),
    site,
  );
  assert.equal(digest.subject, "22 new questions from your students");
  assert.match(digest.text, /Why no rows\? \(Postgres RLS, asked by Sam\)/);
  assert.match(digest.text, /My grade \(Postgres RLS, asked by a student, privately to staff\)/);
  assert.match(digest.text, /And 20 more\./);
  assert.match(digest.text, /Answer them: https:\/\/learn\.example\.com\/teaching\/questions/);
  assert.equal(
    render(email("doubt_digest", { count: 1, questions: [] }), site).subject,
    "1 new question from your students",
  );
  assert.throws(() => render(email("nope", {}), site), /unknown email template "nope"/);
});

Deno.test("templates: the weekly digest, in HTML and text, with each section it has and only those", async () => {
  const { render } = await import("./templates.ts");
  const site = "https://learn.example.com";
  const digest = render({
    id: "x",
    template: "weekly_digest",
    to_email: "a@b.c",
    payload: {
      period_start: "2026-11-23T00:00:00+00:00",
      period_end: "2026-11-30T00:00:00+00:00",
      display_name: "Erin <E>",
      student: {
        progress: [{
          course_id: "c1",
          course_title: "Postgres",
          lessons_completed: 1,
          percent: 25,
        }],
        new_lessons: [{
          course_id: "c1",
          course_title: "Postgres",
          lesson_id: "l9",
          title: "Policies",
        }],
        live_sessions: [{
          course_title: "Postgres",
          session_id: "s1",
          title: "Office hours",
          starts_at: "2026-12-01T17:00:00Z",
          timezone: "Europe/Paris",
        }],
        answers: [{ doubt_id: "d1", title: "Why no rows?", course_title: "Postgres", answers: 2 }],
      },
      teaching: {
        enrolments: [{ course_id: "c2", course_title: "CSS", new_students: 2 }],
        revenue: [{ currency: "USD", orders: 1, gross: 4900, refunded: 900, net: 4000 }],
        questions_waiting: [{
          course_id: "c2",
          course_title: "CSS",
          questions: 1,
          oldest_at: "2026-11-24T10:00:00Z",
        }],
        reviews: [{ course_id: "c2", course_title: "CSS", reviews: 1, average_rating: 4.5 }],
      },
    },
  }, site);
  assert.equal(digest.subject, "Your week: 23 November 2026");
  assert.equal(
    digest.text,
    [
      "Hi Erin <E>, here is your week",
      "",
      "What happened in your courses in the week from 23 November 2026.",
      "",
      "Your progress",
      "- Postgres: 1 lesson completed this week, 25% of the course done (https://learn.example.com/courses/c1)",
      "",
      "New lessons in your courses",
      "- Postgres: Policies (https://learn.example.com/lessons/l9)",
      "",
      "Live sessions coming up",
      "- Office hours (Postgres), Tuesday, 1 December 2026 at 18:00 CET (https://learn.example.com/live/s1)",
      "",
      "Answers to your questions",
      "- Why no rows? (Postgres): 2 new answers (https://learn.example.com/questions/d1)",
      "",
      "New students",
      "- CSS: 2 new students (https://learn.example.com/teach/courses/c2)",
      "",
      "Revenue",
      "- US$40.00 net of refunds: 1 order, US$49.00 in sales, US$9.00 refunded",
      "",
      "Questions waiting for an answer",
      "- CSS: 1 question waiting (https://learn.example.com/teaching/questions)",
      "",
      "Reviews",
      "- CSS: 1 new review, average 4.5 of 5 (https://learn.example.com/courses/c2)",
      "",
      "Open your dashboard: https://learn.example.com/dashboard",
    ].join("\n"),
  );
  assert.match(digest.html, /<h2>Hi Erin &lt;E&gt;, here is your week<\/h2>/, "names are escaped");
  assert.match(
    digest.html,
    /<h3>New lessons in your courses<\/h3><ul><li><a href="https:\/\/learn\.example\.com\/lessons\/l9">Postgres: Policies<\/a><\/li><\/ul>/,
  );
  assert.match(digest.html, /<h3>Revenue<\/h3><ul><li>US\$40\.00 net of refunds/);
  assert.equal(digest.headers, undefined, "no unsubscribe unless send-emails asks for it");

  const quiet = render(
    {
      id: "y",
      template: "weekly_digest",
      to_email: "a@b.c",
      payload: {
        period_start: "2026-11-23T00:00:00+00:00",
        display_name: "",
        student: {},
        teaching: {
          revenue: [{ currency: "EUR", orders: 2, gross: 9000, refunded: 0, net: 9000 }],
        },
      },
    },
    site,
    {
      unsubscribeUrl: "https://x.supabase.co/functions/v1/unsubscribe?token=t",
      category: "digest",
    },
  );
  assert.match(quiet.text, /^Hi there, here is your week/);
  assert.doesNotMatch(quiet.html, /Your progress|New students|Reviews/, "only the sections it has");
  assert.match(quiet.text, /- €90\.00 net of refunds: 2 orders, €90\.00 in sales, €0\.00 refunded/);
  assert.match(
    quiet.text,
    /\n--\nYou get this email because you are subscribed to the weekly digest\.\nUnsubscribe: https:\/\/x\.supabase\.co\/functions\/v1\/unsubscribe\?token=t\n/,
  );
  assert.match(
    quiet.html,
    /<a href="https:\/\/x\.supabase\.co\/functions\/v1\/unsubscribe\?token=t">Unsubscribe<\/a>.*<\/body><\/html>$/,
  );
  assert.deepEqual(quiet.headers, {
    "List-Unsubscribe": "<https://x.supabase.co/functions/v1/unsubscribe?token=t>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  });
});

Deno.test("templates: every template the migrations enqueue by name renders", async () => {
  const { render } = await import("./templates.ts");
  const dir = new URL("../../migrations/", import.meta.url);
  const names = new Set<string>();
  for await (const f of Deno.readDir(dir)) {
    const sql = await Deno.readTextFile(new URL(f.name, dir));
    for (const m of sql.matchAll(/enqueue_email\('([a-z0-9_]+)'/g)) names.add(m[1]);
  }
  assert.ok(names.has("order_auto_refund") && names.has("purchase_receipt"), [...names].join());
  const payload = { ...session, order_id: "o1", currency: "USD", total: 100, amount: 100 };
  for (const template of names) {
    const r = render(
      { id: "x", template, to_email: "a@b.c", payload },
      "https://learn.example.com",
    );
    assert.ok(r.subject.length > 0 && r.text.length > 0, template);
  }
});

Deno.test("send-emails: says, per email, whether it was sent, skipped, retried or dead and why, without addresses", async () => {
  const t = await setup();
  const logged: string[] = [];
  const handler = createSendEmails(t.config, { log: (line) => logged.push(line) });
  try {
    await t.sql`update private.email_outbox set status = 'sent' where to_user_id = ${t.user}`; // the welcome email
    const [{ email }] = await t.sql<
      { email: string }[]
    >`select email from auth.users where id = ${t.user}`;
    const sent = await t.enqueue("system_alert", { subject: "A", message: "m" });
    const flaky = await t.enqueue("system_alert", { subject: "B", message: "m" });
    const rejected = await t.enqueue("system_alert", { subject: "C", message: "m" });
    const unknown = await t.enqueue("no_such_template", {});
    const limited = await t.enqueue("system_alert", { subject: "E", message: "m" });
    const skipped = await t.enqueue("system_alert", { subject: "F", message: "m" });
    t.fake.reply(
      { status: 200, body: { id: "4ef9a417-02e9-4d39-ad75-00000000beef" } },
      serverError,
      {
        status: 422,
        body: {
          statusCode: 422,
          name: "validation_error",
          message: `Invalid \`to\` field: ${email} is not accepted.`,
        },
      },
      rateLimited(7),
    );
    const res = await t.drain(handler);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(counts(body), {
      claimed: 6,
      sent: 1,
      skipped: 1,
      retrying: 2,
      dead: 2,
      rate_limited: true,
    });
    type Outcome = {
      id: string;
      template: string;
      to: string;
      attempt: number;
      outcome: string;
      reason: string;
    };
    const by = new Map<string, Outcome>(body.emails.map((e: Outcome) => [e.id, e]));
    const masked = `m***@test.local`;
    for (const e of body.emails as Outcome[]) {
      assert.equal(e.to, masked, "the recipient, masked");
      assert.equal(e.attempt, 1);
    }
    assert.deepEqual(
      body.emails.map((e: Outcome) => e.id),
      [sent, flaky, rejected, unknown, limited, skipped],
      "oldest first",
    );
    assert.equal(by.get(sent)!.outcome, "sent");
    assert.match(
      by.get(sent)!.reason,
      /accepted by Resend as 4ef9a417-02e9-4d39-ad75-00000000beef/,
    );
    assert.equal(by.get(flaky)!.outcome, "retrying");
    assert.match(
      by.get(flaky)!.reason,
      /^Resend answered internal_server_error: .*; attempt 1 of 6, retry with backoff$/,
    );
    assert.equal(by.get(rejected)!.outcome, "dead");
    assert.match(
      by.get(rejected)!.reason,
      /^Resend rejected the message validation_error: .*; not retried$/,
    );
    assert.equal(by.get(unknown)!.outcome, "dead");
    assert.match(
      by.get(unknown)!.reason,
      /could not be rendered: .*unknown email template "no_such_template"/,
    );
    assert.equal(by.get(limited)!.outcome, "retrying");
    assert.match(by.get(limited)!.reason, /rate_limit_exceeded.*retry after 7 s/);
    assert.equal(by.get(skipped)!.outcome, "skipped");
    assert.match(
      by.get(skipped)!.reason,
      /^not attempted: Resend is rate-limiting this run; attempt 1 of 6, retry after 7 s$/,
    );
    assert.equal(
      t.fake.requests.length,
      4,
      "the unknown template and the skipped email were not sent",
    );

    assert.equal(logged.length, 6, "one log line per email");
    for (const [id, e] of by) {
      assert.ok(
        logged.some((l) => l.includes(id) && l.includes(e.outcome) && l.includes(e.reason)),
        `the log has ${id}`,
      );
    }
    const everything = JSON.stringify(body) + logged.join("\n");
    assert.ok(!everything.includes(email), "no full address in the response or the logs");
    assert.match(
      String((await t.outbox(rejected)).last_error),
      new RegExp(email.replace(/[.]/g, "\\.")),
      "the outbox row (private) keeps Resend's full message for the operator",
    );
  } finally {
    await t.teardown(handler);
  }
});

Deno.test("send-emails: without a Resend key (missing or the .env.example placeholder) it answers 503 and claims nothing", async () => {
  const t = await setup();
  const logged: string[] = [];
  try {
    await withConsoleError((m: string) => logged.push(m), async () => {
      for (const key of ["re_replace_me", undefined]) {
        const handler = fromEnv({
          ...t.project.env,
          SUPABASE_DB_URL: testDbUrl(),
          RESEND_API_KEY: key,
          EMAIL_FROM: "Coursebase <hello@example.com>",
          SITE_URL: "http://127.0.0.1:3000",
        });
        const res = await t.drain(handler);
        assert.equal(res.status, 503);
        assert.equal((await res.json()).error.code, "email_not_configured");
        await handler.close();
      }
      assert.match(logged[0], /RESEND_API_KEY is still the \.env\.example placeholder/);
      assert.match(logged[1], /RESEND_API_KEY is not set/);
      const [{ n }] = await t.sql`select count(*)::int as n from private.email_outbox
      where to_user_id = ${t.user} and status = 'pending' and attempts = 0`;
      assert.equal(n, 1, "the welcome email is untouched: not claimed, no attempt spent");
      assert.equal(t.fake.requests.length, 0);
    });
  } finally {
    await t.teardown();
  }
});

// Alike in every function's tests on purpose: each file states what its own callers get.
testFunctionAuth({
  name: "send-emails",
  fromEnv,
  setup: () => {
    const resend = startFakeResend();
    return Promise.resolve({
      env: {
        RESEND_API_KEY: "re_test_key",
        EMAIL_FROM: "Coursebase <hello@example.com>",
        RESEND_BASE_URL: resend.url,
        SITE_URL: "https://learn.example.com",
        EMAIL_RATE_PER_SECOND: "1000",
        EMAIL_UNSUBSCRIBE_SECRET: UNSUBSCRIBE_SECRET,
      },
      close: () => resend.close(),
    });
  },
  body: { batch_size: 1 },
  expect: {
    user: { status: 403, code: "service_only" },
    anon: { status: 403, code: "service_only" },
    service: { status: 200 }, // drained (at most one email, to the fake Resend)
  },
});
