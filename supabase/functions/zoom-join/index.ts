// POST /functions/v1/zoom-join {session_id}: the caller's personal Zoom join link.
// Meetings require registration, so each attendee joins with their own link and Zoom reports them
// by registrant id. zoom_join_info() runs as the caller and decides, with the same rule as
// session_join_link(), whether they may join now; the first time, this function adds them as a
// Zoom registrant and stores the link through the service-only zoom_save_registrant(), which
// keeps the first link if two calls race. Hosts and admins get the meeting's own link.
import { z } from "zod";
import { callerClaims } from "../_shared/auth.ts";
import { lazyHandler, readConfig } from "../_shared/config.ts";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { handle, HttpError, json, readJson } from "../_shared/http.ts";
import { zoomClient } from "../_shared/zoom.ts";
import { zoomMeetingConfig } from "../zoom-meeting/index.ts";

const input = z.object({ session_id: z.uuid() });

interface JoinInfo {
  user_id: string;
  meeting_id: string;
  join_url: string | null;
  email: string;
  first_name: string;
  last_name: string;
}

export function createZoomJoin(
  config: z.infer<typeof zoomMeetingConfig>,
  deps: { sql?: Sql } = {},
) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
  const zoom = zoomClient(config, sql);
  const service = { role: "service_role" };
  const noStore = { "cache-control": "no-store" };

  const fetch = handle(async (req) => {
    if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST.");
    const claims = callerClaims(req);
    const { session_id } = input.parse(await readJson(req));
    const [info] = await asCaller(
      sql,
      claims,
      (tx) => tx<JoinInfo[]>`select * from public.zoom_join_info(${session_id})`,
    );
    if (info.join_url !== null) return json({ session_id, join_url: info.join_url }, 200, noStore);

    const registrant = await zoom.addRegistrant(info.meeting_id, {
      email: info.email,
      first_name: info.first_name,
      ...(info.last_name ? { last_name: info.last_name } : {}),
    });
    const [saved] = await asCaller(
      sql,
      service,
      (tx) =>
        tx<
          { join_url: string }[]
        >`select public.zoom_save_registrant(${session_id}, ${info.user_id},
          ${info.meeting_id}, ${registrant.registrant_id}, ${registrant.join_url}) as join_url`,
    );
    return json({ session_id, join_url: saved.join_url }, 200, noStore);
  });

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

export default lazyHandler(() => createZoomJoin(readConfig(zoomMeetingConfig)));
