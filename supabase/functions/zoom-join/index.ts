// POST /functions/v1/zoom-join {session_id}: the caller's personal Zoom join link.
// Meetings require registration with manual approval, so each attendee joins with their own link,
// which Zoom honours only once we approve it, and Zoom reports them by registrant id.
// zoom_join_info() runs as the caller and decides, with the same rule as session_join_link(),
// whether they may join now. The first time, this function adds them as a Zoom registrant and
// stores it through the service-only zoom_save_registrant() (the first stored registrant wins if
// two calls race); then, or on a retry after a failed approval, it approves exactly that
// registrant through Zoom's "Update registrant's status", records the approval, and asks
// zoom_join_info() again for the link. Hosts and admins get the meeting's own link.
import { z } from "zod";
import { asCaller, asService } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { zoomClient, type ZoomMeetingConfig, zoomMeetingFromEnv } from "../_shared/zoom.ts";

const input = z.object({ session_id: z.uuid() });

interface JoinInfo {
  user_id: string;
  meeting_id: string;
  join_url: string | null;
  email: string;
  first_name: string;
  last_name: string;
}

export function createZoomJoin(config: ZoomMeetingConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const zoom = zoomClient(config, sql);
  const noStore = { "cache-control": "no-store" };

  /** Adds the caller as a Zoom registrant and stores it; the stored registrant's id (the first wins). */
  async function register(sessionId: string, info: JoinInfo): Promise<string> {
    const registrant = await zoom.addRegistrant(info.meeting_id, {
      email: info.email,
      first_name: info.first_name,
      ...(info.last_name ? { last_name: info.last_name } : {}),
    });
    const [saved] = await asService(
      sql,
      (tx) =>
        tx<{ registrant_id: string }[]>`
          select public.zoom_save_registrant(${sessionId}, ${info.user_id}, ${info.meeting_id},
            ${registrant.registrant_id}, ${registrant.join_url}) as registrant_id`,
    );
    return saved.registrant_id;
  }

  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const { session_id } = await parseBody(req, input);
    const [info] = await asCaller(
      sql,
      claims,
      (tx) => tx<JoinInfo[]>`select * from public.zoom_join_info(${session_id})`,
    );
    if (info.join_url !== null) return json({ session_id, join_url: info.join_url }, 200, noStore);

    const [stored] = await asService(
      sql,
      (tx) =>
        tx<{ registrant_id: string; approved: boolean }[]>`
          select * from public.zoom_begin_approval(${session_id}, ${info.user_id})`,
    );
    if (!stored?.approved) {
      const registrantId = stored?.registrant_id ?? await register(session_id, info);
      // Until Zoom approves it, the registrant's link lets no one in: no link before that.
      await zoom.updateRegistrantStatus(info.meeting_id, "approve", registrantId);
      await asService(
        sql,
        (tx) =>
          tx`select public.zoom_registrant_approved(${session_id}, ${info.user_id}, ${registrantId})`,
      );
    }
    const [after] = await asCaller(
      sql,
      claims,
      (tx) => tx<JoinInfo[]>`select * from public.zoom_join_info(${session_id})`,
    );
    if (after.join_url === null) {
      throw new HttpError(
        409,
        "join_link_busy",
        "Your personal join link is being approved by another request; try again.",
      );
    }
    return json({ session_id, join_url: after.join_url }, 200, noStore);
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = zoomMeetingFromEnv(createZoomJoin);

export default fromEnv();
