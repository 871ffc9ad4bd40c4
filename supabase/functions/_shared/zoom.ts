// Zoom REST API client: Server-to-Server OAuth (token cached in Postgres until it expires) and
// the meeting calls our functions make. Base URLs are configurable so tests use a local fake.
import { z } from "zod";
import { authEnv } from "./auth.ts";
import { databaseEnv, type Env, secret, type Service } from "./config.ts";
import { asService, type Sql } from "./db.ts";
import { type Handler, lazyHandler } from "./handler.ts";
import { HttpError } from "./http.ts";

/**
 * Zoom is not set up when a ZOOM_ setting is missing, invalid or still the .env.example
 * placeholder: the Zoom functions answer 503 zoom_not_configured before doing anything.
 */
export const zoomService: Service = {
  prefix: "ZOOM_",
  code: "zoom_not_configured",
  message:
    "Live sessions on Zoom are not set up on this server yet; the function logs say which setting.",
};

export const zoomConfig = z.object({
  ZOOM_ACCOUNT_ID: secret(),
  ZOOM_CLIENT_ID: secret(),
  ZOOM_CLIENT_SECRET: secret(),
  ZOOM_API_BASE: z.url().default("https://api.zoom.us/v2"),
  ZOOM_OAUTH_URL: z.url().default("https://zoom.us/oauth/token"),
  ZOOM_HOST_USER: z.string().min(1).default("me"),
});
export type ZoomConfig = z.infer<typeof zoomConfig>;

/**
 * What zoom-meeting, zoom-host-link and zoom-join read: how callers are authenticated, the
 * database, Zoom.
 */
export const zoomMeetingConfig = zoomConfig.extend({ ...authEnv.shape, ...databaseEnv.shape });
export type ZoomMeetingConfig = z.infer<typeof zoomMeetingConfig>;

/**
 * zoom-meeting's, zoom-host-link's and zoom-join's `fromEnv`: the handler, built from
 * zoomMeetingConfig on the first request (lazyHandler); until Zoom is set up, 503
 * zoom_not_configured.
 */
export const zoomMeetingFromEnv =
  <H extends Handler>(build: (config: ZoomMeetingConfig) => H) => (env?: Env) =>
    lazyHandler(zoomMeetingConfig, [zoomService], build, env);

export interface ZoomMeeting {
  id: number;
  join_url: string;
  start_url: string;
}

/** Zoom's answer to "Add a meeting registrant" (POST /meetings/{meetingId}/registrants), the fields we keep. */
const registrantAnswer = z.object({
  registrant_id: z.string().min(1),
  join_url: z.url({ protocol: /^https$/ }),
});
export type ZoomRegistrant = z.infer<typeof registrantAnswer>;

/**
 * How long one call to Zoom may take. Bounded so that an approval zoom-join sends lands within
 * the window the database allows it (zoom_registrants.status 'approving', two minutes).
 */
const ZOOM_TIMEOUT_MS = 20_000;

/** Zoom refused a call: the HTTP error we answer, plus what Zoom said. */
export class ZoomApiError extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    details: unknown,
    /** Zoom's own HTTP status. */
    readonly zoomStatus: number,
    /** Seconds to wait, from Zoom's Retry-After on a 429. */
    readonly retryAfter: number | null = null,
  ) {
    super(status, code, message, details);
  }
}

/** fetch, where a network failure (Zoom unreachable, DNS, TLS, a timeout) is a 502 zoom_unreachable. */
async function reach(input: string | URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(input, { ...init, signal: AbortSignal.timeout(ZOOM_TIMEOUT_MS) });
  } catch (e) {
    console.error(e);
    throw new HttpError(502, "zoom_unreachable", "Zoom could not be reached. Please try again.");
  }
}

export function zoomClient(config: ZoomConfig, sql: Sql) {
  async function token(): Promise<string> {
    const [cached] = await asService(
      sql,
      (tx) =>
        tx<
          { token: string | null }[]
        >`select public.zoom_cached_token(${config.ZOOM_ACCOUNT_ID}) as token`,
    );
    if (cached.token) return cached.token;
    const url = new URL(config.ZOOM_OAUTH_URL);
    url.searchParams.set("grant_type", "account_credentials");
    url.searchParams.set("account_id", config.ZOOM_ACCOUNT_ID);
    const res = await reach(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${config.ZOOM_CLIENT_ID}:${config.ZOOM_CLIENT_SECRET}`)}`,
      },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || typeof body.access_token !== "string") {
      throw new HttpError(
        502,
        "zoom_auth_failed",
        "Zoom refused our credentials.",
        body.reason ?? body.error,
      );
    }
    await asService(
      sql,
      (tx) =>
        tx`select public.zoom_cache_token(${config.ZOOM_ACCOUNT_ID}, ${body.access_token}, ${
          Number(body.expires_in ?? 3600)
        })`,
    );
    return body.access_token;
  }

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    return await reach(`${config.ZOOM_API_BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /**
   * Zoom's refusals, by who can fix them: a meeting Zoom no longer has is 404 (a host deletes it
   * here and creates it again); a rate limit is 503; anything else is Zoom's or our setup's
   * problem, 502.
   */
  async function fail(res: Response): Promise<never> {
    const body = await res.json().catch(() => ({}));
    const details = body.message ?? body.code;
    if (res.status === 404) {
      throw new ZoomApiError(
        404,
        "zoom_meeting_not_found",
        "Zoom no longer has this session's meeting; a host must delete it here and create it again.",
        details,
        res.status,
      );
    }
    if (res.status === 429) {
      const retryAfter = Math.ceil(Number(res.headers.get("retry-after"))) || null;
      throw new ZoomApiError(
        503,
        "zoom_rate_limited",
        "Zoom is busy; try again shortly.",
        details,
        res.status,
        retryAfter && retryAfter > 0 ? retryAfter : null,
      );
    }
    if (res.status === 401) {
      throw new ZoomApiError(
        502,
        "zoom_auth_failed",
        "Zoom refused our access token.",
        details,
        res.status,
      );
    }
    throw new ZoomApiError(502, "zoom_error", `Zoom answered ${res.status}.`, details, res.status);
  }

  return {
    token,
    async createMeeting(fields: Record<string, unknown>): Promise<ZoomMeeting> {
      const res = await call(
        "POST",
        `/users/${encodeURIComponent(config.ZOOM_HOST_USER)}/meetings`,
        { type: 2, ...fields },
      );
      if (res.status !== 201) return await fail(res);
      return await res.json();
    },
    async updateMeeting(id: number, fields: Record<string, unknown>): Promise<void> {
      const res = await call("PATCH", `/meetings/${id}`, fields);
      if (res.status !== 204) await fail(res);
    },
    /** Deletes the meeting; one that no longer exists counts as deleted. */
    async deleteMeeting(id: number): Promise<void> {
      const res = await call("DELETE", `/meetings/${id}`);
      if (res.status !== 204 && res.status !== 404) await fail(res);
      await res.body?.cancel();
    },
    async getMeeting(id: number): Promise<ZoomMeeting> {
      const res = await call("GET", `/meetings/${id}`);
      if (res.status !== 200) return await fail(res);
      return await res.json();
    },
    /**
     * Adds a registrant; their personal link. Meetings approve manually (approval_type 1), so the
     * registrant is pending, and the link lets no one in, until updateRegistrantStatus approves it.
     */
    async addRegistrant(
      meetingId: number | string,
      registrant: { email: string; first_name: string; last_name?: string },
    ): Promise<ZoomRegistrant> {
      const res = await call("POST", `/meetings/${meetingId}/registrants`, registrant);
      if (res.status !== 201) return await fail(res);
      const answer = registrantAnswer.safeParse(await res.json().catch(() => null));
      if (!answer.success) {
        throw new HttpError(
          502,
          "zoom_error",
          "Zoom answered without a registrant id or join link.",
        );
      }
      return answer.data;
    },
    /**
     * "Update registrant's status" (PUT /meetings/{meetingId}/registrants/status) for exactly one
     * registrant, by id: "approve" lets them in with their link, "cancel" takes that back. Zoom
     * answers 204; anything else throws a ZoomApiError (404: the meeting, or the registrant, is
     * gone).
     */
    async updateRegistrantStatus(
      meetingId: number | string,
      action: "approve" | "cancel",
      registrantId: string,
    ): Promise<void> {
      const res = await call("PUT", `/meetings/${meetingId}/registrants/status`, {
        action,
        registrants: [{ id: registrantId }],
      });
      if (res.status !== 204) await fail(res);
      await res.body?.cancel();
    },
  };
}
