// `npm run zoom:sync`: the local stand-in for the pg_cron + pg_net job that calls the zoom-sync
// function every minute on Supabase (private.call_edge_function('zoom-sync')), cancelling at Zoom the
// registrants whose registration was cancelled. Calls it once, or every minute with --watch.
import { callLikeCron } from "./lib/cron-call.ts";

await callLikeCron("zoom-sync");
