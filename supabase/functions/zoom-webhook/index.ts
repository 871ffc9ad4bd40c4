// POST /functions/v1/zoom-webhook (no Supabase credential: Zoom signs its requests instead).
// Verifies x-zm-signature (v0 HMAC-SHA256 over "v0:<timestamp>:<raw body>") and the timestamp,
// answers the endpoint.url_validation challenge, and applies meeting and participant events
// through zoom_apply_event(), which keeps a ledger so replays change nothing. Unknown events get
// 200 (Zoom would retry anything else). A signed body we can't use (not JSON, or a handled event
// whose fields are malformed) gets 400 {error: {code, message}}; only an outage answers 5xx (503
// when the database is unreachable, 503 zoom_not_configured while ZOOM_WEBHOOK_SECRET_TOKEN is
// missing or the .env.example placeholder), so Zoom retries what can succeed later.
import { z } from "zod";
import { databaseUrl, type Env, lazyHandler, readConfig, secret } from "../_shared/config.ts";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { errorResponse, handle, HttpError, json } from "../_shared/http.ts";
import { zoomService } from "../_shared/zoom.ts";

export const zoomWebhookConfig = z.object({
  SUPABASE_DB_URL: databaseUrl,
  ZOOM_WEBHOOK_SECRET_TOKEN: secret(),
  ZOOM_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
  LIVE_ATTENDANCE_MIN_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
});

const handled = new Set([
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
const envelopeSchema = z.object({
  event: z.string().min(1),
  event_ts: z.number().int().positive().max(8.64e15),
  payload: z.object({}).loose().default({}),
});

const validationSchema = z.object({ plainToken: z.string().min(1) }).loose();

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

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)),
  );
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function createZoomWebhook(
  config: z.infer<typeof zoomWebhookConfig>,
  deps: { sql?: Sql } = {},
) {
  const sql = deps.sql ?? connect(config.SUPABASE_DB_URL);
  const service = { role: "service_role" };

  const fetch = handle(async (req) => {
    if (req.method !== "POST") return errorResponse(405, "method_not_allowed", "Use POST.");
    const raw = await req.text();
    const timestamp = req.headers.get("x-zm-request-timestamp") ?? "";
    const signature = req.headers.get("x-zm-signature") ?? "";
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (!/^\d+$/.test(timestamp) || !(age <= config.ZOOM_WEBHOOK_TOLERANCE_SECONDS)) {
      return errorResponse(401, "stale_request", "The request timestamp is missing or too old.");
    }
    const expected = `v0=${await hmacHex(
      config.ZOOM_WEBHOOK_SECRET_TOKEN,
      `v0:${timestamp}:${raw}`,
    )}`;
    if (!timingSafeEqual(signature, expected)) {
      return errorResponse(401, "bad_signature", "The request signature does not match.");
    }

    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(raw);
    } catch {
      throw new HttpError(400, "invalid_json", "The signed body is not valid JSON.");
    }
    const body = envelopeSchema.parse(parsedJson);
    if (body.event === "endpoint.url_validation") {
      const { plainToken } = validationSchema.parse(body.payload);
      return json({
        plainToken,
        encryptedToken: await hmacHex(config.ZOOM_WEBHOOK_SECRET_TOKEN, plainToken),
      });
    }
    if (!handled.has(body.event)) return json({ status: "ignored" });

    const { object } = (body.event.startsWith("meeting.participant_")
      ? participantPayloadSchema
      : meetingPayloadSchema).parse(body.payload);
    const p = body.event.startsWith("meeting.participant_") ? object.participant : undefined;
    const key = p ? participantKey(p) : "";
    const at = p?.leave_time ?? p?.join_time ??
      (body.event === "meeting.ended" ? object.end_time : object.start_time) ??
      new Date(body.event_ts).toISOString();
    const eventKey = [body.event, object.uuid ?? object.id, key, body.event_ts].join(":");
    // Only the registrant id (from the attendee's personal link) identifies a user; the email a
    // participant typed into Zoom is never sent to the database.
    const participant = p ? { key, registrant_id: p.registrant_id || null } : null;
    const [{ result }] = await asCaller(sql, service, (tx) =>
      tx<{ result: string }[]>`
        select public.zoom_apply_event(${eventKey}, ${body.event}, ${object.id}::bigint, ${at}::timestamptz,
                                       ${participant === null ? null : sql.json(participant)},
                                       ${config.LIVE_ATTENDANCE_MIN_PERCENT}) as result`);
    return json({ status: result });
  });

  return { fetch, close: () => sql.end({ timeout: 5 }) };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(() => createZoomWebhook(readConfig(zoomWebhookConfig, env, [zoomService])));

export default fromEnv();
