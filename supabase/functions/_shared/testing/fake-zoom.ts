// A local stand-in for Zoom's OAuth and Meetings API: records requests, issues tokens for the
// right Basic credentials, and answers with Zoom's shapes (201 meeting, 204 on update/delete,
// 201 registrant with a personal join_url, 204 on a registrant status update, 404 {code: 3001}
// for unknown meetings, 401 for unknown tokens). Registrants are only accepted by meetings that
// require registration (settings.approval_type 0 or 1), as on Zoom, and carry Zoom's statuses:
// approved at once under approval_type 0, pending under 1 until PUT .../registrants/status
// approves them. What real Zoom does here and its docs leave open is assumed and marked so:
// "cancel" leaves a registrant denied (as Zoom's forum reports), a denied registrant can be
// approved again, and an unknown registrant id answers 404. Replies can be scripted per route
// (replyNext) to play Zoom failing.
export interface ZoomRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
}

/** Zoom's registrant statuses (GET /meetings/{id}/registrants?status=...). */
export type RegistrantStatus = "pending" | "approved" | "denied";

export interface FakeRegistrant {
  meeting_id: number;
  email: string;
  first_name: string;
  last_name?: string;
  join_url: string;
  status: RegistrantStatus;
}

interface ScriptedReply {
  method: string;
  path: RegExp;
  /** Without a status, the request is answered as usual once `before` has run. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  before?: () => Promise<void>;
}

/** A meeting's settings.approval_type: 0 automatic, 1 manual, 2 (or none) no registration. */
const approvalType = (meeting: Record<string, unknown>) =>
  (meeting.settings as { approval_type?: number } | undefined)?.approval_type;

/** The app credentials the fake accepts by default. */
const defaultCredentials = { clientId: "zoom-client", clientSecret: "zoom-secret" };

/** The ZOOM_ settings that point a function at a Zoom API and OAuth server at `origin`. */
export function zoomEnv(origin: string, credentials = defaultCredentials): Record<string, string> {
  return {
    ZOOM_ACCOUNT_ID: "acct_123",
    ZOOM_CLIENT_ID: credentials.clientId,
    ZOOM_CLIENT_SECRET: credentials.clientSecret,
    ZOOM_API_BASE: `${origin}/v2`,
    ZOOM_OAUTH_URL: `${origin}/oauth/token`,
  };
}

export function startFakeZoom(credentials = defaultCredentials) {
  const requests: ZoomRequest[] = [];
  const tokens = new Set<string>();
  const meetings = new Map<number, Record<string, unknown>>();
  /** Registrants by registrant id, as Zoom keeps them per meeting. */
  const registrants = new Map<string, FakeRegistrant>();
  const script: ScriptedReply[] = [];
  let nextId = 85012345670;
  let tokenCount = 0;
  /** A registrant as Zoom makes one: approved at once only when the meeting approves automatically. */
  const addRegistrant = (
    meeting: Record<string, unknown>,
    fields: { email: string; first_name: string; last_name?: string },
  ) => {
    const id = meeting.id as number;
    const approval = approvalType(meeting);
    const registrantId = crypto.randomUUID().replaceAll("-", "").slice(0, 22);
    const registrant: FakeRegistrant = {
      meeting_id: id,
      email: fields.email,
      first_name: fields.first_name,
      last_name: fields.last_name,
      join_url: `https://zoom.us/w/${id}?tk=${crypto.randomUUID().replaceAll("-", "")}.DQ`,
      status: approval === 0 ? "approved" : "pending",
    };
    registrants.set(registrantId, registrant);
    return { registrantId, registrant };
  };
  /** Zoom's 404 for a meeting it does not know. */
  const noSuchMeeting = (id: number) =>
    Response.json({ code: 3001, message: `Meeting does not exist: ${id}.` }, { status: 404 });
  /** The meeting, if it takes registrants; else Zoom's answer (404 unknown, 400 registration off). */
  const registrationMeeting = (id: number): Record<string, unknown> | Response => {
    const meeting = meetings.get(id);
    if (!meeting) return noSuchMeeting(id);
    const approval = approvalType(meeting);
    if (approval !== 0 && approval !== 1) {
      return Response.json({
        code: 3000,
        message: `Registration has not been enabled for this meeting: ${id}.`,
      }, { status: 400 });
    }
    return meeting;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    requests.push({
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: Object.fromEntries(req.headers),
      body: text ? JSON.parse(text) : null,
    });
    const scripted = script.findIndex((r) => r.method === req.method && r.path.test(url.pathname));
    const reply = scripted >= 0 ? script.splice(scripted, 1)[0] : undefined;
    await reply?.before?.();
    if (reply?.status !== undefined) {
      return reply.body === undefined
        ? new Response(null, { status: reply.status, headers: reply.headers })
        : Response.json(reply.body, { status: reply.status, headers: reply.headers });
    }
    if (url.pathname === "/oauth/token") {
      const basic = `Basic ${btoa(`${credentials.clientId}:${credentials.clientSecret}`)}`;
      if (
        req.headers.get("authorization") !== basic ||
        url.searchParams.get("grant_type") !== "account_credentials"
      ) {
        return Response.json({
          reason: "Invalid client_id or client_secret",
          error: "invalid_client",
        }, { status: 400 });
      }
      const token = `eyJzb29tLXRva2VuIjoi${++tokenCount}`;
      tokens.add(token);
      return Response.json({
        access_token: token,
        token_type: "bearer",
        expires_in: 3599,
        scope: "meeting:write:admin",
        api_url: "https://api.zoom.us",
      });
    }
    if (!tokens.has((req.headers.get("authorization") ?? "").replace(/^Bearer /, ""))) {
      return Response.json({ code: 124, message: "Invalid access token." }, { status: 401 });
    }
    const create = url.pathname.match(/^\/v2\/users\/([^/]+)\/meetings$/);
    if (create && req.method === "POST") {
      const id = nextId++;
      const body = JSON.parse(text);
      const meeting = {
        uuid: `${btoa(String(id))}==`,
        id,
        host_id: "z8yAAAAA8bbbQ",
        host_email: "host@example.com",
        topic: body.topic,
        type: body.type,
        status: "waiting",
        start_time: body.start_time,
        duration: body.duration,
        timezone: body.timezone,
        created_at: new Date().toISOString(),
        start_url: `https://zoom.us/s/${id}?zak=host-secret-${crypto.randomUUID()}`,
        join_url: `https://zoom.us/j/${id}?pwd=Zm9vYmFy`,
        password: "foobar",
        settings: body.settings ?? {},
        pre_schedule: false,
      };
      meetings.set(id, meeting);
      return Response.json(meeting, { status: 201 });
    }
    const register = url.pathname.match(/^\/v2\/meetings\/(\d+)\/registrants$/);
    if (register && req.method === "POST") {
      const id = Number(register[1]);
      const meeting = registrationMeeting(id);
      if (meeting instanceof Response) return meeting;
      const body = JSON.parse(text);
      if (typeof body.email !== "string" || typeof body.first_name !== "string") {
        return Response.json({ code: 300, message: "Validation Failed." }, { status: 400 });
      }
      const { registrantId, registrant } = addRegistrant(meeting, body);
      const joinUrl = registrant.join_url;
      return Response.json({
        id,
        join_url: joinUrl,
        registrant_id: registrantId,
        start_time: meeting.start_time,
        topic: meeting.topic,
        occurrences: [],
        participant_pin_code: 380303,
      }, { status: 201 });
    }
    const status = url.pathname.match(/^\/v2\/meetings\/(\d+)\/registrants\/status$/);
    if (status && req.method === "PUT") {
      const id = Number(status[1]);
      const meeting = registrationMeeting(id);
      if (meeting instanceof Response) return meeting;
      const body = JSON.parse(text || "null");
      const ids = Array.isArray(body?.registrants)
        ? (body.registrants as { id?: unknown }[]).map((r) => r?.id)
        : [];
      if (
        !["approve", "cancel", "deny"].includes(body?.action) || ids.length === 0 ||
        ids.some((r) => typeof r !== "string")
      ) {
        return Response.json({ code: 300, message: "Validation Failed." }, { status: 400 });
      }
      const found = ids.map((r) => registrants.get(r as string));
      if (found.some((r) => !r || r.meeting_id !== id)) {
        return Response.json({ code: 404, message: "Registrant not found." }, { status: 404 });
      }
      for (const r of found) r!.status = body.action === "approve" ? "approved" : "denied";
      return new Response(null, { status: 204 });
    }
    const one = url.pathname.match(/^\/v2\/meetings\/(\d+)$/);
    if (one) {
      const id = Number(one[1]);
      const meeting = meetings.get(id);
      if (!meeting) return noSuchMeeting(id);
      if (req.method === "GET") {
        return Response.json({
          ...meeting,
          start_url: `https://zoom.us/s/${id}?zak=fresh-${crypto.randomUUID()}`,
        });
      }
      if (req.method === "PATCH") {
        const { settings, ...fields } = JSON.parse(text);
        Object.assign(meeting, fields);
        if (settings) meeting.settings = { ...(meeting.settings as object), ...settings };
        return new Response(null, { status: 204 });
      }
      if (req.method === "DELETE") {
        meetings.delete(id);
        return new Response(null, { status: 204 });
      }
    }
    return Response.json({ code: 404, message: "Not found" }, { status: 404 });
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    /** The function settings that point at this fake (account acct_123). */
    env: zoomEnv(`http://127.0.0.1:${port}`, credentials),
    requests,
    meetings,
    registrants,
    /** Someone registers on Zoom's own registration page, not through us. Returns the registrant id. */
    selfRegister(meetingId: number, fields: { email: string; first_name: string }): string {
      const meeting = meetings.get(meetingId);
      if (!meeting) throw new Error(`no meeting ${meetingId}`);
      return addRegistrant(meeting, fields).registrantId;
    },
    /** The next `times` requests to `method` + `path` get this reply instead of Zoom's normal one. */
    replyNext(
      method: string,
      path: RegExp,
      reply: { status: number; body?: unknown; headers?: Record<string, string> },
      times = 1,
    ) {
      for (let i = 0; i < times; i++) script.push({ method, path, ...reply });
    },
    /** Runs `hook` while Zoom handles the next request to `method` + `path` (which it then answers as usual). */
    beforeNext(method: string, path: RegExp, hook: () => Promise<void>) {
      script.push({ method, path, before: hook });
    },
    /** The registrant status updates Zoom received: [meeting id, action, registrant id] each. */
    statusUpdates(): [number, string, string][] {
      return requests
        .filter((r) => r.method === "PUT" && /\/registrants\/status$/.test(r.path))
        .flatMap((r) =>
          ((r.body?.registrants ?? []) as { id: string }[]).map((reg) =>
            [Number(r.path.split("/")[3]), String(r.body?.action), reg.id] as [
              number,
              string,
              string,
            ]
          )
        );
    },
    close: () => server.shutdown(),
  };
}
