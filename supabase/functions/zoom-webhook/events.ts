// What Zoom posts to zoom-webhook: the envelope of every event, the challenge, and the meeting and
// participant events we apply, turned into the arguments of zoom_apply_event().
import { z } from "zod";
import { validate } from "../_shared/http.ts";

/** The events zoom_apply_event() applies; any other is answered 200 "ignored". */
export const handledZoomEvents = new Set([
  "meeting.started",
  "meeting.ended",
  "meeting.participant_joined",
  "meeting.participant_left",
]);

/** A Zoom time ("2026-12-01T17:00:00Z"). */
const zoomTime = z.iso.datetime({ offset: true });

/** Meeting ids are 64-bit integers, sent as a number or a string of digits. */
const meetingId = z.union([z.string(), z.number()]).transform(String).pipe(
  z.string().regex(/^\d{1,18}$/, "must be a numeric Zoom meeting id"),
);

const participantSchema = z.object({
  participant_uuid: z.string().optional(),
  user_id: z.string().optional(),
  id: z.string().optional(),
  registrant_id: z.string().optional(),
  join_time: zoomTime.optional(),
  leave_time: zoomTime.optional(),
}).loose();

/** Which participant this is: the first of participant_uuid, user_id, id that is not empty. */
const participantKey = (p: z.infer<typeof participantSchema>) =>
  p.participant_uuid || p.user_id || p.id || "";

/** Every signed body: an event name and its time (ms). Unknown events stop here, with 200. */
export const envelopeSchema = z.object({
  event: z.string().min(1),
  event_ts: z.number().int().positive().max(8.64e15),
  payload: z.object({}).loose().default({}),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** The payload of endpoint.url_validation. */
export const validationSchema = z.object({ plainToken: z.string().min(1) }).loose();

/** The payload of the meeting and participant events we apply. */
const meetingPayloadSchema = z.object({
  object: z.object({
    id: meetingId,
    uuid: z.string().optional(),
    start_time: zoomTime.optional(),
    end_time: zoomTime.optional(),
    participant: participantSchema.optional(),
  }).loose(),
}).loose();

const participantPayloadSchema = meetingPayloadSchema.extend({
  object: meetingPayloadSchema.shape.object.extend({
    participant: participantSchema.refine((p) => participantKey(p) !== "", {
      message: "the participant needs a participant_uuid, user_id or id",
    }),
  }),
});

/** A handled event as zoom_apply_event() takes it; 400 invalid_request when its fields are malformed. */
export function zoomEvent(body: Envelope) {
  const isParticipant = body.event.startsWith("meeting.participant_");
  const { object } = validate(
    body.payload,
    isParticipant ? participantPayloadSchema : meetingPayloadSchema,
  );
  const p = isParticipant ? object.participant : undefined;
  const key = p ? participantKey(p) : "";
  return {
    /** The ledger key: the same delivery twice is one event. */
    eventKey: [body.event, object.uuid ?? object.id, key, body.event_ts].join(":"),
    meetingId: object.id,
    at: p?.leave_time ?? p?.join_time ??
      (body.event === "meeting.ended" ? object.end_time : object.start_time) ??
      new Date(body.event_ts).toISOString(),
    // Only the registrant id (from the attendee's personal link) identifies a user; the email a
    // participant typed into Zoom is never sent to the database.
    participant: p ? { key, registrant_id: p.registrant_id || null } : null,
  };
}
