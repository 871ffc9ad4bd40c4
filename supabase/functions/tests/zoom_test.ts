// zoom-meeting, zoom-host-link, zoom-join and zoom-webhook against a fake Zoom and the test database.
import assert from "node:assert/strict";
import { asCaller, connect } from "../_shared/db.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { startFakeZoom } from "../_shared/testing/fake-zoom.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { publishedCourse } from "../_shared/testing/catalog.ts";
import { createZoomHostLink } from "../zoom-host-link/index.ts";
import { createZoomJoin } from "../zoom-join/index.ts";
import { zoomMeetingConfig } from "../_shared/zoom.ts";
import { createZoomMeeting } from "../zoom-meeting/index.ts";
import { createZoomWebhook, zoomWebhookConfig } from "../zoom-webhook/index.ts";
import { zoomSignature } from "../zoom-webhook/signature.ts";
import { postJson } from "../_shared/testing/requests.ts";

const webhookSecret = "zoom-webhook-secret-token";

// Every test opens with `const t = await setup()` and closes with `t.teardown()` in `finally`:
// repeated on purpose, so each test reads alone.
async function setup(opts: { startsIn?: string } = {}) {
  const sql = connect(testDbUrl(), { max: 2 });
  const zoom = startFakeZoom();
  const tag = crypto.randomUUID().slice(0, 8);
  const host = await createUser(sql, `zhost-${tag}@test.local`, { role: "instructor" });
  const student = await createUser(sql, `zstud-${tag}@test.local`);
  const quitter = await createUser(sql, `zquit-${tag}@test.local`);
  const outsider = await createUser(sql, `zout-${tag}@test.local`);
  const course = await publishedCourse(sql, host, {
    slug: `zoom-${tag}`,
    title: "Live Course",
    isFree: true,
    lessonTitle: "Live class",
    lessonKind: "live",
  });
  const lesson = { id: course.lessonId };
  const [session] =
    await sql`insert into public.live_sessions (course_id, lesson_id, title, starts_at, duration_minutes,
      timezone, is_published, created_by)
    values (${course.id}, ${lesson.id}, 'Live class', now() + ${
      opts.startsIn ?? "1 day"
    }::interval, 60, 'Asia/Kolkata',
            true, ${host})
    returning id`;
  for (const u of [student, quitter]) {
    await sql`insert into public.entitlements (user_id, course_id, source) values (${u}, ${course.id}, 'free')`;
  }
  await sql`delete from private.zoom_tokens`;
  const project = await startTestProject();
  const config = zoomMeetingConfig.parse({
    ...project.env,
    SUPABASE_DB_URL: testDbUrl(),
    ...zoom.env,
  });
  const tokenFor = (user: string) => project.accessToken(sql, user);
  const post = (
    handler: { fetch: (r: Request) => Promise<Response> },
    token: string,
    body: unknown,
  ) =>
    handler.fetch(
      postJson("fn", body, { authorization: `Bearer ${token}` }),
    );
  const teardown = async (...handlers: { close: () => Promise<void> }[]) => {
    for (const h of handlers) await h.close();
    await zoom.close();
    await project.close();
    await sql`delete from public.courses where id = ${course.id}`;
    await deleteUsers(sql, [host, student, quitter, outsider]);
    await sql.end();
  };
  return {
    project,
    sql,
    zoom,
    host,
    student,
    quitter,
    outsider,
    email: async (user: string) =>
      ((await sql`select email from auth.users where id = ${user}`)[0].email) as string,
    course: course.id,
    lesson: lesson.id,
    session: session.id,
    config,
    tokenFor,
    post,
    teardown,
  };
}

Deno.test("zoom-meeting: the host creates, updates and deletes the meeting; the token is cached", async () => {
  const t = await setup();
  const fn = createZoomMeeting(t.config);
  try {
    const hostToken = await t.tokenFor(t.host);
    const created = await t.post(fn, hostToken, { session_id: t.session, action: "create" });
    assert.equal(created.status, 201);
    const body = await created.json();
    assert.match(body.join_url, /^https:\/\/zoom\.us\/j\/\d+/);
    assert.equal(body.start_url, undefined, "the start link is never returned");
    const create = t.zoom.requests.find((r) =>
      r.method === "POST" && r.path === "/v2/users/me/meetings"
    )!;
    assert.equal(create.body!.type, 2);
    assert.equal(create.body!.duration, 60);
    assert.equal(create.body!.timezone, "Asia/Kolkata");
    assert.equal(create.body!.topic, "Live class");
    // zoom-meeting's meetingSettings, written out again on purpose: what Zoom must receive.
    assert.deepEqual(
      create.body!.settings,
      {
        join_before_host: false,
        waiting_room: true,
        mute_upon_entry: true,
        approval_type: 1,
        registration_type: 1,
        registrants_email_notification: false,
        registrants_confirmation_email: false,
      },
      "registration is required and approved manually (by zoom-join); Zoom emails no one",
    );
    const [saved] = await t
      .sql`select meeting_id::text, join_url from private.zoom_meetings where session_id = ${t.session}`;
    assert.equal(saved.meeting_id, String(body.meeting_id));
    const stored = JSON.stringify(
      await t.sql`select * from private.zoom_meetings where session_id = ${t.session}`,
    );
    assert.ok(!stored.includes("zak="), "no start link is stored");

    // A meeting made before manual approval: update turns it on.
    (t.zoom.meetings.get(body.meeting_id)!.settings as Record<string, unknown>).approval_type = 0;
    const updated = await t.post(fn, hostToken, { session_id: t.session, action: "update" });
    assert.equal(updated.status, 200);
    const patch = t.zoom.requests.find((r) =>
      r.method === "PATCH" && r.path === `/v2/meetings/${body.meeting_id}`
    )!;
    assert.equal(
      (patch.body!.settings as Record<string, unknown>).approval_type,
      1,
      "update re-sends manual approval",
    );
    assert.equal(
      (t.zoom.meetings.get(body.meeting_id)!.settings as Record<string, unknown>).approval_type,
      1,
    );
    assert.equal(
      t.zoom.requests.filter((r) => r.path === "/oauth/token").length,
      1,
      "one token for all calls",
    );
    const oauth = t.zoom.requests.find((r) => r.path === "/oauth/token")!;
    assert.match(oauth.search, /grant_type=account_credentials&account_id=acct_123/);

    await t.sql`update private.zoom_tokens set expires_at = now() + interval '10 seconds'`;
    const deleted = await t.post(fn, hostToken, { session_id: t.session, action: "delete" });
    assert.deepEqual(await deleted.json(), { session_id: t.session, deleted: true });
    assert.equal(
      t.zoom.requests.filter((r) => r.path === "/oauth/token").length,
      2,
      "an expiring token is renewed",
    );
    assert.equal(t.zoom.meetings.size, 0);
    assert.equal(
      (await t.sql`select 1 from private.zoom_meetings where session_id = ${t.session}`).length,
      0,
    );
  } finally {
    await t.teardown(fn);
  }
});

Deno.test("zoom-meeting and zoom-host-link: students are refused by the database; hosts get a fresh start link", async () => {
  const t = await setup();
  const fn = createZoomMeeting(t.config);
  const link = createZoomHostLink(t.config);
  try {
    const denied = await t.post(fn, await t.tokenFor(t.student), {
      session_id: t.session,
      action: "create",
    });
    assert.equal(denied.status, 403);
    assert.equal(t.zoom.requests.length, 0, "Zoom is never called for a refused caller");
    const bad = await t.post(fn, await t.tokenFor(t.host), {
      session_id: "not-a-uuid",
      action: "create",
    });
    assert.equal(bad.status, 400);

    await t.post(fn, await t.tokenFor(t.host), { session_id: t.session, action: "create" });
    const first = await (await t.post(link, await t.tokenFor(t.host), { session_id: t.session }))
      .json();
    const second = await (await t.post(link, await t.tokenFor(t.host), { session_id: t.session }))
      .json();
    assert.match(first.start_url, /zak=fresh-/);
    assert.notEqual(first.start_url, second.start_url, "fetched fresh each time");
    const refused = await t.post(link, await t.tokenFor(t.student), { session_id: t.session });
    assert.equal(refused.status, 403);
  } finally {
    await t.teardown(fn, link);
  }
});

Deno.test("zoom-join: one personal Zoom link per attendee, created once, decided by the database", async () => {
  const t = await setup();
  const meetingFn = createZoomMeeting(t.config);
  const joinFn = createZoomJoin(t.config);
  const registrantRequests = () =>
    t.zoom.requests.filter((r) => r.method === "POST" && r.path.endsWith("/registrants"));
  try {
    const studentToken = await t.tokenFor(t.student);
    const noMeeting = await t.post(joinFn, await t.tokenFor(t.host), { session_id: t.session });
    assert.equal(noMeeting.status, 404);
    assert.deepEqual(
      (await noMeeting.json()).error,
      { code: "no_meeting", message: "no meeting has been set up for this session yet" },
    );

    const created = await (await t.post(meetingFn, await t.tokenFor(t.host), {
      session_id: t.session,
      action: "create",
    })).json();
    const early = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(early.status, 400, "a day ahead, the join window is closed");
    const tooEarly = (await early.json()).error;
    assert.equal(tooEarly.code, "too_early");
    assert.match(tooEarly.details, /^Opens at /, "the hint says when");
    await t
      .sql`update public.live_sessions set starts_at = now() + interval '5 minutes' where id = ${t.session}`;
    // Someone who found the meeting id registers on Zoom's own page with the student's email.
    const intruder = t.zoom.selfRegister(created.meeting_id, {
      email: await t.email(t.student),
      first_name: "Mallory",
    });
    assert.equal(t.zoom.registrants.get(intruder)!.status, "pending", "manual approval holds them");

    const first = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("cache-control"), "no-store");
    const { join_url } = await first.json();
    assert.match(join_url, new RegExp(`^https://zoom\\.us/w/${created.meeting_id}\\?tk=`));
    assert.notEqual(join_url, created.join_url, "not the meeting's general link");
    assert.equal(registrantRequests().length, 1);
    const [request] = registrantRequests();
    assert.equal(request.path, `/v2/meetings/${created.meeting_id}/registrants`);
    assert.equal(request.body!.email, await t.email(t.student));
    assert.equal(request.body!.first_name, (await t.email(t.student)).split("@")[0]);
    const [stored] = await t
      .sql`select registrant_id, join_url, status from private.zoom_registrants
      where session_id = ${t.session} and user_id = ${t.student}`;
    assert.equal(stored.join_url, join_url);
    assert.equal(stored.status, "approved");
    assert.equal(t.zoom.registrants.get(stored.registrant_id)?.email, await t.email(t.student));
    assert.equal(
      t.zoom.registrants.get(stored.registrant_id)?.status,
      "approved",
      "the link is handed out approved",
    );
    assert.deepEqual(
      t.zoom.statusUpdates(),
      [[created.meeting_id, "approve", stored.registrant_id]],
      "exactly our registrant is approved, by id",
    );
    const approval = t.zoom.requests.findIndex((r) => r.method === "PUT");
    assert.ok(
      approval > t.zoom.requests.indexOf(request),
      "approved after it was added (and before the link was returned)",
    );
    assert.deepEqual(t.zoom.requests[approval].body, {
      action: "approve",
      registrants: [{ id: stored.registrant_id }],
    });

    const again = await (await t.post(joinFn, studentToken, { session_id: t.session })).json();
    assert.equal(again.join_url, join_url, "the same link on every call");
    assert.equal(registrantRequests().length, 1, "Zoom is asked once per attendee");
    assert.equal(t.zoom.statusUpdates().length, 1, "and approves once");
    const [viaRpc] = await asCaller(
      t.sql,
      await claimsFor(t.sql, t.student),
      (tx) => tx`select public.session_join_link(${t.session}) as url`,
    );
    assert.equal(viaRpc.url, join_url, "session_join_link returns the same personal link");

    const quitterToken = await t.tokenFor(t.quitter);
    const race = await Promise.all([
      t.post(joinFn, quitterToken, { session_id: t.session }),
      t.post(joinFn, quitterToken, { session_id: t.session }),
    ]);
    const links = await Promise.all(race.map(async (r) => (await r.json()).join_url));
    assert.deepEqual(race.map((r) => r.status), [200, 200]);
    assert.equal(links[0], links[1], "two concurrent first calls give the same link");
    const [{ n, registrant_id: quitterRegistrant }] = await t.sql`
      select count(*) over ()::int as n, registrant_id from private.zoom_registrants
      where session_id = ${t.session} and user_id = ${t.quitter}`;
    assert.equal(n, 1, "and store one registrant");
    assert.equal(
      t.zoom.registrants.get(quitterRegistrant)?.status,
      "approved",
      "which is approved",
    );
    const quitterApprovals = t.zoom.statusUpdates().filter(([, , id]) =>
      id !== stored.registrant_id
    );
    assert.ok(quitterApprovals.length >= 1);
    assert.ok(
      quitterApprovals.every(([m, action, id]) =>
        m === created.meeting_id && action === "approve" && id === quitterRegistrant
      ),
      "both racing calls approve the stored registrant, and nothing else",
    );
    const quitterEmail = await t.email(t.quitter);
    assert.ok(
      [...t.zoom.registrants.entries()]
        .filter(([id, r]) => r.email === quitterEmail && id !== quitterRegistrant)
        .every(([, r]) => r.status === "pending"),
      "a registrant the race added but did not store stays pending, unusable",
    );

    const before = registrantRequests().length;
    const outsider = await t.post(joinFn, await t.tokenFor(t.outsider), { session_id: t.session });
    assert.equal(outsider.status, 403, "no access to the course: refused by the database");
    assert.equal((await outsider.json()).error.code, "no_access");
    await t.sql`update public.entitlements set revoked_at = now() where user_id = ${t.student}`;
    const revoked = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(revoked.status, 403, "a stored link is not handed out once access ends");
    await revoked.body?.cancel();
    const host = await (await t.post(joinFn, await t.tokenFor(t.host), { session_id: t.session }))
      .json();
    assert.equal(host.join_url, created.join_url, "hosts get the meeting's link");
    assert.equal(
      registrantRequests().length,
      before,
      "refused callers and hosts add no registrant",
    );
    assert.equal(
      t.zoom.registrants.get(intruder)!.status,
      "pending",
      "the registrant made on Zoom's page is never approved",
    );
    assert.ok(!t.zoom.statusUpdates().some(([, , id]) => id === intruder));
  } finally {
    await t.teardown(meetingFn, joinFn);
  }
});

Deno.test("zoom-join: a failed approval answers 502 and no link; a retry approves the stored registrant", async () => {
  const t = await setup({ startsIn: "5 minutes" });
  const meetingFn = createZoomMeeting(t.config);
  const joinFn = createZoomJoin(t.config);
  try {
    const created = await (await t.post(meetingFn, await t.tokenFor(t.host), {
      session_id: t.session,
      action: "create",
    })).json();
    const studentToken = await t.tokenFor(t.student);
    t.zoom.replyNext("PUT", /\/registrants\/status$/, {
      status: 400,
      body: { code: 3000, message: "Cannot access meeting info." },
    });
    const failed = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(failed.status, 502);
    const body = await failed.json();
    assert.deepEqual(
      { code: body.error.code, details: body.error.details, join_url: body.join_url },
      { code: "zoom_error", details: "Cannot access meeting info.", join_url: undefined },
      "Zoom refused the approval: no link",
    );
    const [pending] = await t.sql`select registrant_id, status from private.zoom_registrants
      where session_id = ${t.session} and user_id = ${t.student}`;
    assert.equal(pending.status, "approving", "the registrant is stored, not approved");
    assert.equal(t.zoom.registrants.get(pending.registrant_id)?.status, "pending");
    const rpc = await asCaller(
      t.sql,
      await claimsFor(t.sql, t.student),
      (tx) => tx`select public.session_join_link(${t.session}) as url`,
    ).then(() => null, (e) => e);
    assert.equal(rpc?.code, "P0001");
    assert.equal(rpc?.message, "your personal join link is not ready yet");

    t.zoom.replyNext("PUT", /\/registrants\/status$/, {
      status: 429,
      body: { code: 429, message: "You have reached the maximum per-second rate limit." },
      headers: { "retry-after": "1" },
    });
    const limited = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(limited.status, 503);
    assert.equal((await limited.json()).error.code, "zoom_rate_limited");

    const retry = await t.post(joinFn, studentToken, { session_id: t.session });
    assert.equal(retry.status, 200);
    const { join_url } = await retry.json();
    const [row] = await t.sql`select registrant_id, join_url, status from private.zoom_registrants
      where session_id = ${t.session} and user_id = ${t.student}`;
    assert.deepEqual({ ...row }, {
      registrant_id: pending.registrant_id,
      join_url,
      status: "approved",
    });
    assert.equal(
      t.zoom.requests.filter((r) => r.method === "POST" && r.path.endsWith("/registrants")).length,
      1,
      "the retry adds no second registrant",
    );
    assert.deepEqual(
      t.zoom.statusUpdates(),
      Array(3).fill([created.meeting_id, "approve", pending.registrant_id]),
      "every attempt approves the stored registrant",
    );
    assert.equal(t.zoom.registrants.get(pending.registrant_id)?.status, "approved");
  } finally {
    await t.teardown(meetingFn, joinFn);
  }
});

Deno.test("zoom-webhook: validation challenge, signatures, replays, attendance and the live lesson", async () => {
  const t = await setup({ startsIn: "5 minutes" });
  const meetingFn = createZoomMeeting(t.config);
  const joinFn = createZoomJoin(t.config);
  const hook = createZoomWebhook(zoomWebhookConfig.parse({
    SUPABASE_DB_URL: testDbUrl(),
    ZOOM_WEBHOOK_SECRET_TOKEN: webhookSecret,
    LIVE_ATTENDANCE_MIN_PERCENT: "50",
  }));
  const deliver = async (body: unknown, opts: { secret?: string; ageSeconds?: number } = {}) => {
    const raw = JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0));
    return await hook.fetch(
      postJson("zoom-webhook", raw, {
        "x-zm-request-timestamp": ts,
        "x-zm-signature": await zoomSignature(opts.secret ?? webhookSecret, ts, raw),
      }),
    );
  };
  try {
    const validation = await deliver({
      event: "endpoint.url_validation",
      event_ts: Date.now(),
      payload: { plainToken: "qgg8vlvZRS6UYooatFL8Aw" },
    });
    assert.equal(validation.status, 200);
    const v = await validation.json();
    assert.equal(v.plainToken, "qgg8vlvZRS6UYooatFL8Aw");
    assert.equal(
      v.encryptedToken,
      // printf %s qgg8vlvZRS6UYooatFL8Aw | openssl dgst -sha256 -hmac zoom-webhook-secret-token
      "303d596c41398000067ebaef31f940ff99945195fe501fc03a7549f882aa6c08",
      "encryptedToken is the hex HMAC-SHA256 of plainToken",
    );
    assert.match(v.encryptedToken, /^[0-9a-f]{64}$/);

    const created = await (await t.post(meetingFn, await t.tokenFor(t.host), {
      session_id: t.session,
      action: "create",
    })).json();
    const meetingId = String(created.meeting_id);
    const start = Date.now() - 60 * 60_000;
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    // The student and the quitter take their personal links; Zoom reports them by registrant id.
    for (const user of [t.student, t.quitter]) {
      const res = await t.post(joinFn, await t.tokenFor(user), { session_id: t.session });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const registrantOf = async (user: string) =>
      ((await t.sql`select registrant_id from private.zoom_registrants
        where session_id = ${t.session} and user_id = ${user}`)[0].registrant_id) as string;
    const [studentRegistrant, quitterRegistrant] = [
      await registrantOf(t.student),
      await registrantOf(t.quitter),
    ];
    const participant = (
      name: string,
      email: string,
      registrantId: string,
      event: string,
      at: number,
    ) => ({
      event,
      event_ts: at,
      payload: {
        account_id: "acct_123",
        object: {
          id: meetingId,
          uuid: "4444AAAiAAAAAiAiAiiAii==",
          host_id: "z8yAAAAA8bbbQ",
          topic: "Live class",
          type: 2,
          start_time: iso(start),
          duration: 60,
          timezone: "Asia/Kolkata",
          participant: {
            user_id: "16778240",
            user_name: name,
            id: "",
            participant_uuid: `uuid-${name}`,
            email,
            registrant_id: registrantId,
            [event.endsWith("joined") ? "join_time" : "leave_time"]: iso(at),
          },
        },
      },
    });
    const [studentEmail, quitterEmail] = (await t
      .sql`select email from auth.users where id in (${t.student}, ${t.quitter}) order by email desc`)
      .map((r) => r.email as string);

    const forged = await deliver({
      event: "meeting.started",
      event_ts: start,
      payload: { object: { id: meetingId } },
    }, { secret: "wrong" });
    assert.equal(forged.status, 401);
    const stale = await deliver({
      event: "meeting.started",
      event_ts: start,
      payload: { object: { id: meetingId } },
    }, { ageSeconds: 3600 });
    assert.equal(stale.status, 401);
    const [{ status: notLive }] = await t
      .sql`select status from public.live_sessions where id = ${t.session}`;
    assert.equal(notLive, "scheduled", "rejected requests write nothing");

    const started = {
      event: "meeting.started",
      event_ts: start,
      payload: {
        object: { id: meetingId, uuid: "4444AAAiAAAAAiAiAiiAii==", start_time: iso(start) },
      },
    };
    assert.deepEqual(await (await deliver(started)).json(), { status: "applied" });
    const joined = participant(
      "Stu",
      studentEmail,
      studentRegistrant,
      "meeting.participant_joined",
      start + 60_000,
    );
    assert.deepEqual(await (await deliver(joined)).json(), { status: "applied" });
    assert.deepEqual(
      await (await deliver(joined)).json(),
      { status: "duplicate" },
      "a replayed event is a no-op",
    );
    await deliver(
      participant(
        "Quinn",
        quitterEmail,
        quitterRegistrant,
        "meeting.participant_joined",
        start + 60_000,
      ),
    );
    await deliver(
      participant(
        "Quinn",
        quitterEmail,
        quitterRegistrant,
        "meeting.participant_left",
        start + 6 * 60_000,
      ),
    );
    // Someone registers on Zoom's own page typing the quitter's email, and stays to the end.
    const forgedJoin = participant(
      "Mallory",
      quitterEmail,
      "zr-typed-on-zooms-page",
      "meeting.participant_joined",
      start + 60_000,
    );
    assert.deepEqual(await (await deliver(forgedJoin)).json(), { status: "applied" });
    const [{ n }] = await t
      .sql`select count(*)::int as n from private.zoom_attendance where session_id = ${t.session}`;
    assert.equal(n, 3, "one attendance row per participant join");
    const [mallory] = await t
      .sql`select user_id from private.zoom_attendance where participant_key = 'uuid-Mallory'`;
    assert.equal(mallory.user_id, null, "a typed email maps the participant to nobody");

    const ended = {
      event: "meeting.ended",
      event_ts: start + 60 * 60_000,
      payload: {
        object: {
          id: meetingId,
          uuid: "4444AAAiAAAAAiAiAiiAii==",
          end_time: iso(start + 60 * 60_000),
        },
      },
    };
    assert.deepEqual(await (await deliver(ended)).json(), { status: "applied" });
    const done = await t
      .sql`select user_id from public.lesson_progress where lesson_id = ${t.lesson} and completed_at is not null`;
    assert.deepEqual(
      done.map((r) => r.user_id),
      [t.student],
      "only the attendee who stayed long enough completes the live lesson; the quitter gets no credit for Mallory's stay",
    );
    const [{ status }] = await t
      .sql`select status from public.live_sessions where id = ${t.session}`;
    assert.equal(status, "ended");
    assert.deepEqual(
      await (await deliver({
        event: "recording.completed",
        event_ts: Date.now(),
        payload: { object: { id: meetingId } },
      })).json(),
      { status: "ignored" },
      "unknown events get 200",
    );
  } finally {
    await t.teardown(meetingFn, joinFn, hook);
  }
});

/** A local port nothing listens on: connecting to it is refused, like a service that is down. */
function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("zoom-webhook: what the sender got wrong answers 400; only an outage answers 5xx", async () => {
  const t = await setup();
  const meetingFn = createZoomMeeting(t.config);
  const config = zoomWebhookConfig.parse({
    SUPABASE_DB_URL: testDbUrl(),
    ZOOM_WEBHOOK_SECRET_TOKEN: webhookSecret,
  });
  const hook = createZoomWebhook(config);
  const downDb = connect(`postgres://postgres:postgres@127.0.0.1:${deadPort()}/postgres`, {
    max: 1,
    connect_timeout: 2,
  });
  const hookWithoutDb = createZoomWebhook(config, { sql: downDb });
  const signed = async (raw: string, handler = hook) => {
    const ts = String(Math.floor(Date.now() / 1000));
    return await handler.fetch(
      postJson("zoom-webhook", raw, {
        "x-zm-request-timestamp": ts,
        "x-zm-signature": await zoomSignature(webhookSecret, ts, raw),
      }),
    );
  };
  const expect4xx = async (raw: string, status: number, code: string, what: string) => {
    const res = await signed(raw);
    assert.equal(res.status, status, what);
    const body = await res.json();
    assert.equal(body.error.code, code, what);
    assert.equal(typeof body.error.message, "string", what);
  };
  try {
    const created = await (await t.post(meetingFn, await t.tokenFor(t.host), {
      session_id: t.session,
      action: "create",
    })).json();
    const id = String(created.meeting_id);
    const joined = (participant: unknown, meetingId: unknown = id) =>
      JSON.stringify({
        event: "meeting.participant_joined",
        event_ts: Date.now(),
        payload: { account_id: "acct_123", object: { id: meetingId, uuid: "u==", participant } },
      });
    const someone = { user_id: "16778240", user_name: "Sam", participant_uuid: "uuid-sam" };

    await expect4xx("this is not json", 400, "invalid_json", "a signed body that is not JSON");
    await expect4xx("null", 400, "invalid_request", "JSON that is not an event");
    await expect4xx(
      JSON.stringify({ event: "meeting.started", payload: { object: { id } } }),
      400,
      "invalid_request",
      "an event without event_ts",
    );
    await expect4xx(
      JSON.stringify({ event: "meeting.started", event_ts: 1e20, payload: { object: { id } } }),
      400,
      "invalid_request",
      "an event_ts no date can hold",
    );
    await expect4xx(
      JSON.stringify({ event: "endpoint.url_validation", event_ts: Date.now(), payload: {} }),
      400,
      "invalid_request",
      "a validation challenge without plainToken",
    );
    await expect4xx(joined(someone, "abc"), 400, "invalid_request", "a non-numeric meeting id");
    await expect4xx(
      joined(someone, "99999999999999999999"),
      400,
      "invalid_request",
      "a meeting id no bigint can hold",
    );
    await expect4xx(
      JSON.stringify({ event: "meeting.ended", event_ts: Date.now(), payload: { object: {} } }),
      400,
      "invalid_request",
      "a meeting event without a meeting id",
    );
    await expect4xx(
      joined(undefined),
      400,
      "invalid_request",
      "a participant event without a participant",
    );
    await expect4xx(
      joined({ user_name: "Nobody", id: "", user_id: "" }),
      400,
      "invalid_request",
      "a participant nobody can tell apart",
    );
    await expect4xx(
      joined({ ...someone, join_time: "yesterday" }),
      400,
      "invalid_request",
      "a join_time that is not a time",
    );
    const [{ n }] = await t
      .sql`select count(*)::int as n from private.zoom_attendance where session_id = ${t.session}`;
    assert.equal(n, 0, "nothing malformed was recorded");
    assert.deepEqual(
      await (await signed(
        JSON.stringify({ event: "recording.completed", event_ts: 1, payload: {} }),
      ))
        .json(),
      { status: "ignored" },
      "an event we do not handle still gets 200, whatever its payload",
    );
    assert.deepEqual(await (await signed(joined(someone))).json(), { status: "applied" });

    const outage = await signed(joined({ ...someone, participant_uuid: "uuid-2" }), hookWithoutDb);
    assert.equal(outage.status, 503, "the database is down: Zoom should retry");
    assert.equal((await outage.json()).error.code, "database_unavailable");
  } finally {
    await t.teardown(meetingFn, hook, hookWithoutDb);
  }
});

Deno.test("zoom-meeting, zoom-host-link, zoom-join: client mistakes answer 4xx; Zoom or the database down answers 5xx", async () => {
  const t = await setup({ startsIn: "5 minutes" });
  const meetingFn = createZoomMeeting(t.config);
  const linkFn = createZoomHostLink(t.config);
  const joinFn = createZoomJoin(t.config);
  const zoomDown = zoomMeetingConfig.parse({
    ...t.config,
    ZOOM_API_BASE: `http://127.0.0.1:${deadPort()}/v2`,
    ZOOM_OAUTH_URL: `http://127.0.0.1:${deadPort()}/oauth/token`,
  });
  const meetingWithoutZoom = createZoomMeeting(zoomDown);
  const downDb = connect(`postgres://postgres:postgres@127.0.0.1:${deadPort()}/postgres`, {
    max: 1,
    connect_timeout: 2,
  });
  const joinWithoutDb = createZoomJoin(t.config, { sql: downDb });
  const raw = (
    handler: { fetch: (r: Request) => Promise<Response> },
    token: string,
    body: string,
  ) =>
    handler.fetch(
      postJson("fn", body, { authorization: `Bearer ${token}` }),
    );
  const errorOf = async (res: Response) => {
    const body = await res.json();
    assert.equal(typeof body.error.message, "string");
    return { status: res.status, code: body.error.code as string };
  };
  try {
    const host = await t.tokenFor(t.host);
    const student = await t.tokenFor(t.student);
    // What supabase-js sends when nobody is signed in: the anon key as the bearer.
    const anonKey = t.project.legacyAnonKey;
    for (
      const [name, fn] of [["zoom-meeting", meetingFn], ["zoom-host-link", linkFn], [
        "zoom-join",
        joinFn,
      ]] as const
    ) {
      assert.deepEqual(
        await errorOf(await t.post(fn, anonKey, { session_id: t.session, action: "create" })),
        { status: 401, code: "42501" },
        `${name}: the anon key (nobody signed in) is refused by the database, 401 as PostgREST`,
      );
    }
    for (
      const [name, fn, token] of [["zoom-meeting", meetingFn, host], [
        "zoom-host-link",
        linkFn,
        host,
      ], [
        "zoom-join",
        joinFn,
        student,
      ]] as const
    ) {
      assert.deepEqual(await errorOf(await raw(fn, token, "{not json")), {
        status: 400,
        code: "invalid_json",
      }, `${name}: a body that is not JSON`);
      assert.deepEqual(await errorOf(await t.post(fn, token, { session_id: "42" })), {
        status: 400,
        code: "invalid_request",
      }, `${name}: a session id that is not a uuid`);
      assert.deepEqual(
        await errorOf(
          await t.post(fn, token, { session_id: crypto.randomUUID(), action: "create" }),
        ),
        { status: 404, code: "session_not_found" },
        `${name}: an unknown session`,
      );
    }
    assert.deepEqual(
      await errorOf(await t.post(meetingFn, host, { session_id: t.session, action: "rename" })),
      { status: 400, code: "invalid_request" },
      "zoom-meeting: an unknown action",
    );
    assert.equal(t.zoom.requests.length, 0, "Zoom is never called for a request we refuse");

    assert.deepEqual(
      await errorOf(
        await t.post(meetingWithoutZoom, host, { session_id: t.session, action: "create" }),
      ),
      { status: 502, code: "zoom_unreachable" },
      "Zoom is unreachable",
    );
    assert.deepEqual(
      await errorOf(await t.post(joinWithoutDb, student, { session_id: t.session })),
      { status: 503, code: "database_unavailable" },
      "the database is unreachable",
    );

    const created =
      await (await t.post(meetingFn, host, { session_id: t.session, action: "create" }))
        .json();
    t.zoom.meetings.delete(created.meeting_id);
    assert.deepEqual(
      await errorOf(await t.post(meetingFn, host, { session_id: t.session, action: "update" })),
      { status: 404, code: "zoom_meeting_not_found" },
      "zoom-meeting: the meeting was deleted in Zoom",
    );
    assert.deepEqual(
      await errorOf(await t.post(linkFn, host, { session_id: t.session })),
      { status: 404, code: "zoom_meeting_not_found" },
      "zoom-host-link: the meeting was deleted in Zoom",
    );
    assert.deepEqual(
      await errorOf(await t.post(joinFn, student, { session_id: t.session })),
      { status: 404, code: "zoom_meeting_not_found" },
      "zoom-join: the meeting was deleted in Zoom",
    );
  } finally {
    await t.teardown(meetingFn, linkFn, joinFn, meetingWithoutZoom, joinWithoutDb);
  }
});
