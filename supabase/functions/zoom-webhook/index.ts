// POST /functions/v1/zoom-webhook (no Supabase credential: Zoom signs its requests instead).
// Verifies x-zm-signature (v0 HMAC-SHA256 over "v0:<timestamp>:<raw body>") and the timestamp,
// answers the endpoint.url_validation challenge, and applies meeting and participant events
// through zoom_apply_event(), which keeps a ledger so replays change nothing. Unknown events get
// 200 (Zoom would retry anything else). A signed body we can't use (not JSON, or a handled event
// whose fields are malformed) gets 400 {error: {code, message}}; only an outage answers 5xx (503
// when the database is unreachable, 503 zoom_not_configured while ZOOM_WEBHOOK_SECRET_TOKEN is
// missing or the .env.example placeholder), so Zoom retries what can succeed later.
import { z } from "zod";
import { databaseEnv, type Env, secret } from "../_shared/config.ts";
import { asService } from "../_shared/db.ts";
import { type Deps, lazyHandler, ownPool } from "../_shared/handler.ts";
import { handle, json, parseJson, validate } from "../_shared/http.ts";
import { zoomService } from "../_shared/zoom.ts";
import { envelopeSchema, handledZoomEvents, validationSchema, zoomEvent } from "./events.ts";
import { hmacHex, verifyZoomSignature } from "./signature.ts";

export const zoomWebhookConfig = databaseEnv.extend({
  ZOOM_WEBHOOK_SECRET_TOKEN: secret(),
  ZOOM_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
  LIVE_ATTENDANCE_MIN_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
});
export type ZoomWebhookConfig = z.infer<typeof zoomWebhookConfig>;

export function createZoomWebhook(config: ZoomWebhookConfig, deps: Pick<Deps, "sql"> = {}) {
  const { sql, close } = ownPool(config, deps);

  const fetch = handle("POST", async (req) => {
    const raw = await req.text();
    const token = config.ZOOM_WEBHOOK_SECRET_TOKEN;
    await verifyZoomSignature(req, raw, token, config.ZOOM_WEBHOOK_TOLERANCE_SECONDS);

    const body = parseJson(raw, envelopeSchema);
    if (body.event === "endpoint.url_validation") {
      const { plainToken } = validate(body.payload, validationSchema);
      return json({ plainToken, encryptedToken: await hmacHex(token, plainToken) });
    }
    if (!handledZoomEvents.has(body.event)) return json({ status: "ignored" });

    const e = zoomEvent(body);
    const [{ result }] = await asService(sql, (tx) =>
      tx<{ result: string }[]>`
        select public.zoom_apply_event(${e.eventKey}, ${body.event}, ${e.meetingId}::bigint, ${e.at}::timestamptz,
                                       ${e.participant === null ? null : sql.json(e.participant)},
                                       ${config.LIVE_ATTENDANCE_MIN_PERCENT}) as result`);
    return json({ status: result });
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(zoomWebhookConfig, [zoomService], createZoomWebhook, env);

export default fromEnv();
