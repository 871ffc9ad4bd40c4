// A local stand-in for Zoom's OAuth and Meetings API: records requests, issues tokens for the
// right Basic credentials, and answers with Zoom's shapes (201 meeting, 204 on update/delete,
// 201 registrant with a personal join_url, 404 {code: 3001} for unknown meetings, 401 for unknown
// tokens). Registrants are only accepted by meetings that require registration
// (settings.approval_type 0 or 1), as on Zoom.
export interface ZoomRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
}

export function startFakeZoom(
  credentials = { clientId: "zoom-client", clientSecret: "zoom-secret" },
) {
  const requests: ZoomRequest[] = [];
  const tokens = new Set<string>();
  const meetings = new Map<number, Record<string, unknown>>();
  /** Registrants by registrant id, as Zoom keeps them per meeting. */
  const registrants = new Map<
    string,
    { meeting_id: number; email: string; first_name: string; last_name?: string; join_url: string }
  >();
  let nextId = 85012345670;
  let tokenCount = 0;
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
      const meeting = meetings.get(id);
      if (!meeting) {
        return Response.json({ code: 3001, message: `Meeting does not exist: ${id}.` }, {
          status: 404,
        });
      }
      const approval = (meeting.settings as { approval_type?: number } | undefined)?.approval_type;
      if (approval !== 0 && approval !== 1) {
        return Response.json({
          code: 3000,
          message: `Registration has not been enabled for this meeting: ${id}.`,
        }, { status: 400 });
      }
      const body = JSON.parse(text);
      if (typeof body.email !== "string" || typeof body.first_name !== "string") {
        return Response.json({ code: 300, message: "Validation Failed." }, { status: 400 });
      }
      const registrantId = crypto.randomUUID().replaceAll("-", "").slice(0, 22);
      const joinUrl = `https://zoom.us/w/${id}?tk=${crypto.randomUUID().replaceAll("-", "")}.DQ`;
      registrants.set(registrantId, {
        meeting_id: id,
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        join_url: joinUrl,
      });
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
    const one = url.pathname.match(/^\/v2\/meetings\/(\d+)$/);
    if (one) {
      const id = Number(one[1]);
      const meeting = meetings.get(id);
      if (!meeting) {
        return Response.json({ code: 3001, message: `Meeting does not exist: ${id}.` }, {
          status: 404,
        });
      }
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
  const base = `http://127.0.0.1:${port}`;
  return {
    apiBase: `${base}/v2`,
    oauthUrl: `${base}/oauth/token`,
    credentials,
    requests,
    meetings,
    registrants,
    close: () => server.shutdown(),
  };
}

/** Signs a webhook body the way Zoom does (v0 HMAC-SHA256), for tests. */
export async function zoomSignature(
  secret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`)),
  );
  return `v0=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
