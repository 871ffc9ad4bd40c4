// POST /functions/v1/zoom-meeting {session_id, action: create|update|delete}
// A session's hosts (or its course's instructors, or admins: decided by zoom_session() in SQL)
// create, update or delete its Zoom meeting. Stores the meeting id and join link; never the host
// start link (see zoom-host-link).
import { z } from "zod";
import { asCaller, asService } from "../_shared/db.ts";
import { type Deps, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { zoomClient, type ZoomMeetingConfig, zoomMeetingFromEnv } from "../_shared/zoom.ts";

const input = z.object({ session_id: z.uuid(), action: z.enum(["create", "update", "delete"]) });

/**
 * Every meeting requires registration, approved manually (approval_type 1) and without any Zoom
 * email to registrants: whoever finds the meeting and registers on Zoom's own page stays pending
 * and can't join; attendees get their personal link from zoom-join, which approves exactly the
 * registrant it stored for them, so Zoom reports each participant with that registrant id.
 * "update" sends the same settings, which turns manual approval on for meetings created before.
 */
const meetingSettings = {
  join_before_host: false,
  waiting_room: true,
  mute_upon_entry: true,
  approval_type: 1,
  registration_type: 1,
  registrants_email_notification: false,
  registrants_confirmation_email: false,
};

interface Session {
  id: string;
  title: string;
  description: string | null;
  starts_at: Date;
  duration_minutes: number;
  timezone: string;
  meeting_id: string | null;
}

export function createZoomMeeting(config: ZoomMeetingConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const zoom = zoomClient(config, sql);

  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const { session_id, action } = await parseBody(req, input);
    const [session] = await asCaller(
      sql,
      claims,
      (tx) => tx<Session[]>`select * from public.zoom_session(${session_id})`,
    );
    const fields = {
      topic: session.title,
      agenda: session.description ?? undefined,
      start_time: session.starts_at.toISOString().replace(/\.\d{3}Z$/, "Z"),
      duration: session.duration_minutes,
      timezone: session.timezone,
      settings: meetingSettings,
    };
    const meetingId = session.meeting_id === null ? null : Number(session.meeting_id);

    if (action === "delete") {
      if (meetingId === null) return json({ session_id, deleted: false });
      await zoom.deleteMeeting(meetingId);
      await asService(sql, (tx) => tx`select public.zoom_forget_meeting(${session_id})`);
      return json({ session_id, deleted: true });
    }
    if (action === "update" || meetingId !== null) {
      if (meetingId === null) {
        throw new HttpError(404, "no_meeting", "This session has no meeting yet; create it first.");
      }
      await zoom.updateMeeting(meetingId, fields);
      return json({ session_id, meeting_id: meetingId, updated: true });
    }
    const meeting = await zoom.createMeeting(fields);
    await asService(
      sql,
      (tx) =>
        tx`select public.zoom_save_meeting(${session_id}, ${meeting.id}, ${meeting.join_url})`,
    );
    return json({ session_id, meeting_id: meeting.id, join_url: meeting.join_url }, 201);
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = zoomMeetingFromEnv(createZoomMeeting);

export default fromEnv();
