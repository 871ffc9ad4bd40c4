// Stripe or Zoom not configured: every function that needs them answers 503
// {error: {code: "stripe_not_configured" | "zoom_not_configured"}} before it touches anything, when
// their secrets are missing or still the .env.example placeholders, and logs which setting is
// wrong, by name. Each function is called through its exported handler, built from an env.
import assert from "node:assert/strict";
import { connect, type Sql } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { courseOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv as checkout } from "../checkout/index.ts";
import { fromEnv as refund } from "../refund/index.ts";
import { fromEnv as billingPortal } from "../billing-portal/index.ts";
import { fromEnv as stripeWebhook } from "../stripe-webhook/index.ts";
import { fromEnv as zoomMeeting } from "../zoom-meeting/index.ts";
import { fromEnv as zoomJoin } from "../zoom-join/index.ts";
import { fromEnv as zoomHostLink } from "../zoom-host-link/index.ts";
import { fromEnv as zoomSync } from "../zoom-sync/index.ts";
import { fromEnv as zoomWebhook } from "../zoom-webhook/index.ts";
import { withConsoleError } from "../_shared/testing/console.ts";
import { postJson } from "../_shared/testing/requests.ts";

type Env = Record<string, string | undefined>;
type FromEnv = (
  env?: Env,
) => { fetch: (req: Request) => Promise<Response>; close: () => Promise<void> };

/** .env.example as a developer copies it: every secret still a placeholder. */
function envExample(): Env {
  const text = Deno.readTextFileSync(new URL("../../../.env.example", import.meta.url));
  const env: Env = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** What the database holds that any of these functions could write. */
async function fingerprint(sql: Sql) {
  const [row] = await sql`
    select (select count(*) from public.orders) as orders,
           (select max(updated_at) from public.orders) as orders_updated,
           (select count(*) from public.coupon_redemptions) as redemptions,
           (select count(*) from public.audit_log) as audit,
           (select count(*) from private.stripe_customers) as customers,
           (select count(*) from private.stripe_events) as stripe_events,
           (select count(*) from private.seat_holds) as holds,
           (select count(*) from private.zoom_meetings) as meetings,
           (select count(*) from private.zoom_registrants) as registrants,
           (select count(*) from private.zoom_tokens) as tokens,
           (select count(*) from private.zoom_webhook_events) as zoom_events,
           (select count(*) filter (where status <> 'pending') from private.zoom_sync_jobs) as sync_done`;
  return JSON.stringify(row);
}

interface Case {
  name: string;
  fromEnv: FromEnv;
  code: "stripe_not_configured" | "zoom_not_configured";
  /** A setting the function needs; the log must name it when it is missing. */
  secret: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

async function setup() {
  const sql = connect(testDbUrl(), { max: 2 });
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `nc-seller-${tag}@test.local`, { role: "instructor" });
  const buyer = await createUser(sql, `nc-buyer-${tag}@test.local`);
  const admin = await createUser(sql, `nc-admin-${tag}@test.local`, { role: "admin" });
  const course = await publishedCourse(sql, seller, { slug: `nc-${tag}`, title: "Unpaid Course" });
  const offer = await courseOffer(sql, course.id, seller, "Unpaid Course", { USD: 4900 });
  const [session] = await sql<{ id: string }[]>`
    insert into public.live_sessions (title, starts_at, is_published, created_by)
    values ('Not on Zoom yet', now() + interval '2 days', true, ${seller}) returning id`;
  // The platform's variables (SUPABASE_URL, keys) for a project whose JWKS a local server serves.
  const project = await startTestProject();
  const token = (user: string) => project.accessToken(sql, user);
  const site = "http://127.0.0.1:3000";
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  // One row per function, alike on purpose: each states what that function is sent and must name.
  const cases: Case[] = [
    {
      name: "checkout",
      fromEnv: checkout,
      code: "stripe_not_configured",
      secret: "STRIPE_SECRET_KEY",
      body: { offer_id: offer, currency: "USD", success_url: site, cancel_url: site },
      headers: bearer(await token(buyer)),
    },
    {
      name: "refund",
      fromEnv: refund,
      code: "stripe_not_configured",
      secret: "STRIPE_SECRET_KEY",
      body: { order_id: crypto.randomUUID(), idempotency_key: `refund-${tag}` },
      headers: bearer(await token(admin)),
    },
    {
      name: "billing-portal",
      fromEnv: billingPortal,
      code: "stripe_not_configured",
      secret: "STRIPE_SECRET_KEY",
      body: { return_url: site },
      headers: bearer(await token(buyer)),
    },
    {
      name: "stripe-webhook",
      fromEnv: stripeWebhook,
      code: "stripe_not_configured",
      secret: "STRIPE_WEBHOOK_SECRET",
      body: { id: `evt_${tag}`, type: "checkout.session.completed", data: { object: {} } },
      headers: { "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=00` },
    },
    {
      name: "zoom-meeting",
      fromEnv: zoomMeeting,
      code: "zoom_not_configured",
      secret: "ZOOM_CLIENT_SECRET",
      body: { session_id: session.id, action: "create" },
      headers: bearer(await token(seller)),
    },
    {
      name: "zoom-join",
      fromEnv: zoomJoin,
      code: "zoom_not_configured",
      secret: "ZOOM_ACCOUNT_ID",
      body: { session_id: session.id },
      headers: bearer(await token(seller)),
    },
    {
      name: "zoom-host-link",
      fromEnv: zoomHostLink,
      code: "zoom_not_configured",
      secret: "ZOOM_CLIENT_ID",
      body: { session_id: session.id },
      headers: bearer(await token(seller)),
    },
    {
      name: "zoom-sync",
      fromEnv: zoomSync,
      code: "zoom_not_configured",
      secret: "ZOOM_CLIENT_SECRET",
      body: {},
      headers: { apikey: project.secretKey },
    },
    {
      name: "zoom-webhook",
      fromEnv: zoomWebhook,
      code: "zoom_not_configured",
      secret: "ZOOM_WEBHOOK_SECRET_TOKEN",
      body: { event: "endpoint.url_validation", payload: { plainToken: "abc" } },
      headers: {
        "x-zm-request-timestamp": String(Math.floor(Date.now() / 1000)),
        "x-zm-signature": "v0=00",
      },
    },
  ];
  const teardown = async () => {
    await sql`delete from public.orders where user_id = ${buyer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.live_sessions where created_by = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, buyer, admin]);
    await sql.end();
    await project.close();
  };
  return { sql, buyer, cases, platform: project.env, teardown };
}

/** Calls the handler built from `env`, capturing what it logs. */
async function call(c: Case, env: Env) {
  const logged: string[] = [];
  const handler = c.fromEnv(env);
  try {
    return await withConsoleError(
      (...args: unknown[]) => logged.push(args.map(String).join(" ")),
      async () => {
        const res = await handler.fetch(
          postJson(c.name, c.body, c.headers),
        );
        return { status: res.status, body: await res.json(), log: logged.join("\n") };
      },
    );
  } finally {
    await handler.close();
  }
}

Deno.test("not configured: with .env.example's placeholders, every Stripe and Zoom function answers 503 and writes nothing", async () => {
  const t = await setup();
  try {
    const env = { ...envExample(), ...t.platform, SUPABASE_DB_URL: testDbUrl() };
    for (const c of t.cases) {
      const before = await fingerprint(t.sql);
      const res = await call(c, env);
      assert.equal(res.status, 503, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, c.code, c.name);
      assert.match(res.body.error.message, /not set up/, c.name);
      assert.ok(!JSON.stringify(res.body).includes("replace_me"), `${c.name} shows no setting`);
      assert.match(res.log, /placeholder/, `${c.name} logs why`);
      assert.equal(await fingerprint(t.sql), before, `${c.name} wrote nothing`);
    }
    const [{ n }] = await t
      .sql`select count(*)::int as n from public.orders where user_id = ${t.buyer}`;
    assert.equal(n, 0, "checkout left no pending order behind");
  } finally {
    await t.teardown();
  }
});

Deno.test("not configured: a missing secret is a 503 too, and the log names it", async () => {
  const t = await setup();
  try {
    const configured = {
      ...envExample(),
      ...t.platform,
      SUPABASE_DB_URL: testDbUrl(),
      STRIPE_SECRET_KEY: "sk_test_configured",
      STRIPE_WEBHOOK_SECRET: "whsec_configured",
      ZOOM_ACCOUNT_ID: "acct",
      ZOOM_CLIENT_ID: "client",
      ZOOM_CLIENT_SECRET: "secret",
      ZOOM_WEBHOOK_SECRET_TOKEN: "token",
    };
    for (const c of t.cases) {
      const before = await fingerprint(t.sql);
      const res = await call(c, { ...configured, [c.secret]: undefined });
      assert.equal(res.status, 503, `${c.name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, c.code, c.name);
      assert.match(res.log, new RegExp(`${c.secret} is not set`), `${c.name} names ${c.secret}`);
      assert.equal(await fingerprint(t.sql), before, `${c.name} wrote nothing`);
    }
    // Configured, the same handlers get past their configuration (and refuse the requests on
    // their merits: bad signatures, an unknown order, no customer, no meeting).
    const offline = ["checkout", "zoom-meeting", "zoom-sync"]; // these would call Stripe or Zoom
    for (const c of t.cases.filter((c) => !offline.includes(c.name))) {
      const res = await call(c, configured);
      assert.ok(
        res.status < 500,
        `${c.name} configured: ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  } finally {
    await t.teardown();
  }
});
