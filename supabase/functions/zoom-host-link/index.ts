// POST /functions/v1/zoom-host-link {session_id}: a fresh host start link, fetched from Zoom on
// demand for whoever may manage the session (zoom_session() decides) and never stored.
import { z } from "zod";
import { asCaller } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { zoomClient, type ZoomMeetingConfig, zoomMeetingFromEnv } from "../_shared/zoom.ts";

const input = z.object({ session_id: z.uuid() });

export function createZoomHostLink(config: ZoomMeetingConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const zoom = zoomClient(config, sql);
  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const { session_id } = await parseBody(req, input);
    const [session] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx<
          { meeting_id: string | null }[]
        >`select meeting_id from public.zoom_session(${session_id})`,
    );
    if (session.meeting_id === null) {
      throw new HttpError(404, "no_meeting", "This session has no meeting yet.");
    }
    const meeting = await zoom.getMeeting(Number(session.meeting_id));
    return json({ session_id, start_url: meeting.start_url }, 200, { "cache-control": "no-store" });
  });
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = zoomMeetingFromEnv(createZoomHostLink);

export default fromEnv();
