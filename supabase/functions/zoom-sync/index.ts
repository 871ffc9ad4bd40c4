// POST /functions/v1/zoom-sync (service callers: a secret key on apikey, or the legacy
// service_role key; anyone else gets 403 service_only): drains the Zoom sync queue, so that a
// registrant whose registration was cancelled (a refund, a dispute, a revocation, a lapsed
// subscription, cancel_registration()) can no longer join with the personal link they saved.
// claim -> Zoom "Update registrant's status" (cancel, by registrant id) -> record, all SQL run as
// the caller, so only the service role may drain the queue (claim_zoom_sync() is granted to it
// alone). pg_cron calls it every minute through pg_net on Supabase (private.call_edge_function('zoom-sync'));
// `npm run zoom:sync` does it on the local stack. Not a frontend action.
import { z } from "zod";
import { authEnv } from "../_shared/auth.ts";
import { databaseEnv, type Env } from "../_shared/config.ts";
import { asCaller } from "../_shared/db.ts";
import { type Deps, lazyHandler, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { ZoomApiError, zoomClient, zoomConfig, zoomService } from "../_shared/zoom.ts";

export const zoomSyncConfig = zoomConfig.extend({
  ...authEnv.shape,
  ...databaseEnv.shape,
  ZOOM_SYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(20),
  ZOOM_SYNC_LEASE_SECONDS: z.coerce.number().int().min(30).max(3600).default(120),
});
export type ZoomSyncConfig = z.infer<typeof zoomSyncConfig>;

const requestBody = z.object({ batch_size: z.number().int().min(1).max(100).optional() });

interface Job {
  id: string;
  action: "cancel";
  meeting_id: string;
  registrant_id: string;
  attempts: number;
  max_attempts: number;
}

interface Summary {
  claimed: number;
  cancelled: number;
  gone: number;
  retrying: number;
  dead: number;
  rate_limited: boolean;
}

export function createZoomSync(config: ZoomSyncConfig, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(config, deps);
  const zoom = zoomClient(config, sql);

  const fetch = handle("POST", async (req) => {
    // Service callers only: a secret key (or the legacy service_role key), as pg_cron sends.
    const { claims } = await auth.requireService(req);
    const body = await parseBody(req, requestBody, {});
    const batch = body.batch_size ?? config.ZOOM_SYNC_BATCH_SIZE;
    const worker = `zoom-sync:${crypto.randomUUID()}`;
    const jobs = await asCaller(sql, claims, (tx) =>
      tx<Job[]>`
        select id, action, meeting_id, registrant_id, attempts, max_attempts
        from public.claim_zoom_sync(${batch}, ${config.ZOOM_SYNC_LEASE_SECONDS}, ${worker})`);

    const summary: Summary = {
      claimed: jobs.length,
      cancelled: 0,
      gone: 0,
      retrying: 0,
      dead: 0,
      rate_limited: false,
    };
    const complete = (job: Job, outcome: "cancelled" | "gone") =>
      asCaller(sql, claims, (tx) => tx`select public.complete_zoom_sync(${job.id}, ${outcome})`);
    const fail = async (job: Job, error: string, retryAfter: number | null) => {
      const [row] = await asCaller(
        sql,
        claims,
        (tx) =>
          tx<
            { status: string | null }[]
          >`select public.fail_zoom_sync(${job.id}, ${error}, ${retryAfter}) as status`,
      );
      if (row.status === "dead") summary.dead++;
      else summary.retrying++;
    };

    let retryAfter: number | null = null;
    for (const job of jobs) {
      if (summary.rate_limited) {
        // Zoom said stop: hand the rest back for after its Retry-After.
        await fail(job, "not sent: Zoom is rate-limiting us", retryAfter);
        continue;
      }
      try {
        await zoom.updateRegistrantStatus(job.meeting_id, job.action, job.registrant_id);
        await complete(job, "cancelled");
        summary.cancelled++;
      } catch (e) {
        // Zoom refused (ZoomApiError) or could not be reached (HttpError); anything else is ours.
        if (!(e instanceof HttpError)) throw e;
        if (e instanceof ZoomApiError && e.zoomStatus === 404) {
          // Zoom no longer knows the meeting or the registrant: nothing can join with it.
          await complete(job, "gone");
          summary.gone++;
          continue;
        }
        if (e instanceof ZoomApiError && e.zoomStatus === 429) {
          summary.rate_limited = true;
          retryAfter = e.retryAfter;
        }
        await fail(job, `${e.code}: ${e.message}${e.details ? ` (${e.details})` : ""}`, retryAfter);
      }
    }
    return json(summary);
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(zoomSyncConfig, [zoomService], createZoomSync, env);

export default fromEnv();
