// zoom-sync against a fake Zoom and the test database: a registration cancelled in SQL (a refund,
// cancel_registration()) cancels its attendee's Zoom registrant, so a saved personal link stops
// working; failures retry, 404 counts as done, concurrent drains call Zoom once per job, and an
// attendee registered again keeps (or gets back) their access.
import assert from "node:assert/strict";
import { asCaller, type Claims, connect, type Tx } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeZoom } from "../_shared/testing/fake-zoom.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, publishedCourse } from "../_shared/testing/catalog.ts";
import { createZoomJoin } from "../zoom-join/index.ts";
import { zoomMeetingConfig } from "../_shared/zoom.ts";
import { createZoomMeeting } from "../zoom-meeting/index.ts";
import { createZoomSync, zoomSyncConfig } from "../zoom-sync/index.ts";
import { postJson } from "../_shared/testing/requests.ts";

const service: Claims = { role: "service_role" };
const statusPath = /\/registrants\/status$/;

type Handler = { fetch: (r: Request) => Promise<Response>; close: () => Promise<void> };

// Every test opens with `const t = await setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
/** A paid course with a session starting in five minutes and its Zoom meeting; `students` buy it. */
async function setup(students = 1) {
  const sql = connect(testDbUrl(), { max: 4 });
  const zoom = startFakeZoom();
  const tag = crypto.randomUUID().slice(0, 8);
  const host = await createUser(sql, `zshost-${tag}@test.local`, { role: "instructor" });
  const buyers = await Promise.all(
    Array.from({ length: students }, (_, i) => createUser(sql, `zsbuyer${i}-${tag}@test.local`)),
  );
  const course = await publishedCourse(sql, host, { slug: `zsync-${tag}`, title: "Paid Live" });
  const offer = await courseOffer(sql, course.id, host, "Paid Live", { USD: 4900 });
  const [session] = await sql<{ id: string }[]>`
    insert into public.live_sessions (course_id, title, starts_at, duration_minutes, is_published, created_by)
    values (${course.id}, 'Paid live class', now() + interval '5 minutes', 60, true, ${host})
    returning id`;
  await sql`delete from private.zoom_tokens`;
  // Each test sees only its own jobs.
  await sql`update private.zoom_sync_jobs set status = 'done' where status in ('pending', 'running')`;
  const project = await startTestProject();
  const zoomEnv = {
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    ...zoom.env,
  };
  const meetingConfig = zoomMeetingConfig.parse(zoomEnv);
  const syncConfig = zoomSyncConfig.parse(zoomEnv);
  const handlers: Handler[] = [];
  const track = <H extends Handler>(h: H) => (handlers.push(h), h);
  const meetingFn = track(createZoomMeeting(meetingConfig));
  const joinFn = track(createZoomJoin(meetingConfig));
  const syncFn = track(createZoomSync(syncConfig));
  const newSync = () => track(createZoomSync(syncConfig));

  const tokenFor = (user: string) => project.accessToken(sql, user);
  /** `token`: a user's access token as bearer; a secret key (sb_secret_…) goes on apikey. */
  const post = async (handler: Handler, token: string, body: unknown = {}) =>
    await handler.fetch(
      postJson(
        "fn",
        body,
        token.startsWith("sb_") ? { apikey: token } : { authorization: `Bearer ${token}` },
      ),
    );
  /** A run, as pg_cron starts it: the secret key on apikey. */
  const drain = async (handler: Handler = syncFn, body: unknown = {}) => {
    const res = await post(handler, project.secretKey, body);
    assert.equal(res.status, 200);
    return await res.json();
  };
  const join = async (user: string) =>
    await post(joinFn, await tokenFor(user), { session_id: session.id });
  const as = async <T>(user: string, fn: (tx: Tx) => Promise<T>) =>
    await asCaller(sql, await claimsFor(sql, user), fn);

  // Each buyer pays through Stripe's checkout.session.completed, which grants the course and
  // registers them to its session.
  const intents = new Map<string, string>();
  for (const buyer of buyers) {
    const [order] = await as(
      buyer,
      (tx) =>
        tx<
          { id: string; total: number }[]
        >`select id, total from public.create_order(${offer}, 'USD')`,
    );
    const intent = `pi_${crypto.randomUUID().replaceAll("-", "")}`;
    intents.set(buyer, intent);
    const [{ result }] = await asCaller(sql, service, (tx) =>
      tx<{ result: string }[]>`
        select public.stripe_apply_event(${`evt_${intent}`}, 'checkout.session.completed', now(), ${
        sql.json({
          id: `cs_test_${intent}`,
          object: "checkout.session",
          mode: "payment",
          status: "complete",
          payment_status: "paid",
          payment_intent: intent,
          amount_total: order.total,
          currency: "usd",
          client_reference_id: order.id,
          metadata: { order_id: order.id, user_id: buyer, offer_id: offer },
        })
      }) as result`);
    assert.equal(result, "applied");
  }
  const refund = async (buyer: string) => {
    const intent = intents.get(buyer)!;
    const [{ result }] = await asCaller(sql, service, (tx) =>
      tx<{ result: string }[]>`
        select public.stripe_apply_event(${`evt_refund_${intent}`}, 'charge.refunded', now(), ${
        sql.json({ payment_intent: intent, amount: 4900, amount_refunded: 4900 })
      }) as result`);
    assert.equal(result, "applied");
  };

  const created = await (await post(meetingFn, await tokenFor(host), {
    session_id: session.id,
    action: "create",
  })).json();
  const meetingId = created.meeting_id as number;
  /** Each buyer takes their personal link; their registrant ids. */
  const joinAll = async () => {
    const ids = new Map<string, string>();
    for (const buyer of buyers) {
      const res = await join(buyer);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const [row] = await sql<{ registrant_id: string }[]>`
        select registrant_id from private.zoom_registrants where session_id = ${session.id} and user_id = ${buyer}`;
      ids.set(buyer, row.registrant_id);
    }
    return ids;
  };
  const cancels = () => zoom.statusUpdates().filter(([, action]) => action === "cancel");
  const registrantStatus = async (buyer: string) =>
    (await sql<{ status: string }[]>`
      select status from private.zoom_registrants where session_id = ${session.id} and user_id = ${buyer}`)[
      0
    ]
      ?.status;
  const jobs = () =>
    sql<{ registrant_id: string; status: string; outcome: string | null; attempts: number }[]>`
      select registrant_id, status, outcome, attempts from private.zoom_sync_jobs
      where session_id = ${session.id} order by created_at, registrant_id`;
  const teardown = async () => {
    for (const h of handlers) await h.close();
    await zoom.close();
    await project.close();
    await sql`delete from public.orders where offer_id = ${offer}`;
    await sql`delete from public.offers where id = ${offer}`;
    await sql`delete from public.courses where id = ${course.id}`;
    await deleteUsers(sql, [host, ...buyers]);
    await sql.end();
  };
  return {
    sql,
    zoom,
    project,
    host,
    buyers,
    session: session.id,
    meetingId,
    syncFn,
    newSync,
    tokenFor,
    post,
    drain,
    join,
    as,
    refund,
    joinAll,
    cancels,
    registrantStatus,
    jobs,
    teardown,
  };
}

Deno.test("zoom-sync: a refunded buyer's registrant is cancelled at Zoom; only the service drains", async () => {
  const t = await setup(2);
  try {
    const [buyer, other] = t.buyers;
    const registrants = await t.joinAll();
    const registrant = registrants.get(buyer)!;
    assert.equal(t.zoom.registrants.get(registrant)?.status, "approved");

    await t.refund(buyer);
    assert.deepEqual(
      (await t.jobs()).map((j) => [j.registrant_id, j.status]),
      [[registrant, "pending"]],
      "the refund queued the cancellation in its own transaction",
    );

    const refused = await t.post(t.syncFn, await t.tokenFor(buyer));
    assert.equal(refused.status, 403, "a signed-in user may not drain the queue");
    assert.equal((await refused.json()).error.code, "service_only");
    const anon = await t.post(t.syncFn, t.project.publishableKey);
    assert.equal(anon.status, 403, "nor may the publishable key");
    assert.equal((await anon.json()).error.code, "service_only");
    assert.equal(t.cancels().length, 0, "and Zoom is not called");

    assert.deepEqual(await t.drain(), {
      claimed: 1,
      cancelled: 1,
      gone: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
    });
    assert.deepEqual(t.cancels(), [[t.meetingId, "cancel", registrant]], "exactly that registrant");
    const put = t.zoom.requests.find((r) => r.method === "PUT" && r.body?.action === "cancel")!;
    assert.equal(put.path, `/v2/meetings/${t.meetingId}/registrants/status`);
    assert.deepEqual(put.body, { action: "cancel", registrants: [{ id: registrant }] });
    assert.equal(t.zoom.registrants.get(registrant)?.status, "denied", "the saved link is dead");
    assert.equal(await t.registrantStatus(buyer), "cancelled");
    assert.deepEqual((await t.jobs()).map((j) => [j.status, j.outcome]), [["done", "cancelled"]]);
    assert.equal(
      t.zoom.registrants.get(registrants.get(other)!)?.status,
      "approved",
      "the other buyer keeps theirs",
    );

    const denied = await t.join(buyer);
    assert.equal(denied.status, 403, "and zoom-join gives the refunded buyer nothing");
    await denied.body?.cancel();
    assert.equal((await t.drain()).claimed, 0, "nothing is cancelled twice");
    assert.equal(t.cancels().length, 1);
  } finally {
    await t.teardown();
  }
});

Deno.test("zoom-sync: a failure retries with backoff, a 404 counts as done, a 429 hands the rest back", async () => {
  const t = await setup(4);
  try {
    const registrants = await t.joinAll();
    for (const buyer of t.buyers.slice(0, 3)) {
      await t.as(buyer, (tx) => tx`select public.cancel_registration(${t.session})`);
    }
    t.zoom.replyNext("PUT", statusPath, {
      status: 500,
      body: { code: 500, message: "Internal error." },
    });
    t.zoom.replyNext("PUT", statusPath, {
      status: 404,
      body: { code: 3001, message: `Meeting does not exist: ${t.meetingId}.` },
    });
    assert.deepEqual(await t.drain(), {
      claimed: 3,
      cancelled: 1,
      gone: 1,
      retrying: 1,
      dead: 0,
      rate_limited: false,
    });
    const [failedId, goneId, cancelledId] = t.zoom.statusUpdates().filter(([, a]) => a === "cancel")
      .map(([, , id]) => id);
    const byId = new Map((await t.jobs()).map((j) => [j.registrant_id, j]));
    assert.deepEqual(
      [byId.get(failedId)?.status, byId.get(goneId)?.outcome, byId.get(cancelledId)?.outcome],
      ["pending", "gone", "cancelled"],
    );
    const [row] = await t.sql<{ last_error: string; wait: number }[]>`
      select last_error, extract(epoch from next_attempt_at - now())::int as wait
      from private.zoom_sync_jobs where registrant_id = ${failedId} and status = 'pending'`;
    assert.equal(row.last_error, "zoom_error: Zoom answered 500. (Internal error.)");
    assert.ok(row.wait >= 25 && row.wait <= 30, `retried after a 30 s backoff, not ${row.wait}`);
    assert.equal((await t.drain()).claimed, 0, "not before");

    await t
      .sql`update private.zoom_sync_jobs set next_attempt_at = now() where registrant_id = ${failedId}`;
    assert.deepEqual(await t.drain(), {
      claimed: 1,
      cancelled: 1,
      gone: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
    });
    assert.equal(t.zoom.registrants.get(failedId)?.status, "denied", "the retry cancelled it");
    assert.equal((await t.jobs()).find((j) => j.registrant_id === failedId)?.attempts, 2);

    // Zoom rate-limits: the job is handed back for after its Retry-After.
    const last = t.buyers[3];
    await t.as(last, (tx) => tx`select public.cancel_registration(${t.session})`);
    t.zoom.replyNext("PUT", statusPath, {
      status: 429,
      body: { code: 429, message: "You have reached the maximum per-second rate limit." },
      headers: { "retry-after": "7" },
    });
    const limited = await t.drain();
    assert.deepEqual([limited.retrying, limited.rate_limited], [1, true]);
    const [wait] = await t.sql<{ s: number }[]>`
      select extract(epoch from next_attempt_at - now())::int as s from private.zoom_sync_jobs
      where registrant_id = ${registrants.get(last)!} and status = 'pending'`;
    assert.ok(wait.s >= 5 && wait.s <= 7, `retried after Zoom's Retry-After, not ${wait.s}`);

    const bad = await t.post(t.syncFn, t.project.secretKey, { batch_size: 0 });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "invalid_request");
  } finally {
    await t.teardown();
  }
});

Deno.test("zoom-sync: concurrent drains cancel each registrant at Zoom once", async () => {
  const t = await setup(6);
  try {
    const registrants = await t.joinAll();
    for (const buyer of t.buyers) await t.refund(buyer);
    const drains = [t.newSync(), t.newSync(), t.newSync()];
    const results = await Promise.all(drains.map((d) => t.drain(d, { batch_size: 2 })));
    const more = await t.drain(t.syncFn);
    const claimed = results.reduce((n, r) => n + r.claimed, 0) + more.claimed;
    assert.equal(claimed, 6, "every job was claimed once");
    const cancelled = t.cancels().map(([, , id]) => id).sort();
    assert.deepEqual(cancelled, [...registrants.values()].sort(), "one Zoom call per registrant");
    assert.ok(
      [...registrants.values()].every((id) => t.zoom.registrants.get(id)?.status === "denied"),
    );
  } finally {
    await t.teardown();
  }
});

Deno.test("zoom-sync: registered again before the drain keeps access; during it, zoom-join approves again", async () => {
  const t = await setup(1);
  try {
    const [buyer] = t.buyers;
    const registrants = await t.joinAll();
    const registrant = registrants.get(buyer)!;
    const link = async () => {
      const res = await t.join(buyer);
      assert.equal(res.status, 200);
      return (await res.json()).join_url as string;
    };
    const first = await link();

    // Before the drain: the cancellation is obsolete and never reaches Zoom.
    await t.as(buyer, (tx) => tx`select public.cancel_registration(${t.session})`);
    await t.as(buyer, (tx) => tx`select public.register_for_session(${t.session})`);
    assert.equal((await t.drain()).claimed, 0);
    assert.deepEqual((await t.jobs()).map((j) => j.status), ["obsolete"]);
    assert.equal(t.cancels().length, 0, "Zoom is not asked to cancel");
    assert.equal(t.zoom.registrants.get(registrant)?.status, "approved");
    const approvals = t.zoom.statusUpdates().length;
    assert.equal(await link(), first, "the same link, still approved");
    assert.equal(t.zoom.statusUpdates().length, approvals, "without calling Zoom");

    // During the drain: Zoom cancels, the buyer registers again meanwhile.
    await t.as(buyer, (tx) => tx`select public.cancel_registration(${t.session})`);
    t.zoom.beforeNext("PUT", statusPath, async () => {
      await t.as(buyer, (tx) => tx`select public.register_for_session(${t.session})`);
    });
    assert.equal((await t.drain()).cancelled, 1);
    assert.equal(t.zoom.registrants.get(registrant)?.status, "denied");
    assert.equal(await t.registrantStatus(buyer), "cancelled", "what Zoom holds");
    const pending = await t.as(buyer, (tx) => tx`select public.session_join_link(${t.session})`)
      .then(() => null, (e) => e);
    assert.equal(pending?.message, "your personal join link is not ready yet");
    assert.equal(await link(), first, "zoom-join hands back the same link");
    assert.deepEqual(
      t.zoom.statusUpdates().at(-1),
      [t.meetingId, "approve", registrant],
      "after approving the same registrant again",
    );
    assert.equal(t.zoom.registrants.get(registrant)?.status, "approved");
    assert.equal(await t.registrantStatus(buyer), "approved");
    assert.equal((await t.drain()).claimed, 0, "and nothing cancels it again");
  } finally {
    await t.teardown();
  }
});
