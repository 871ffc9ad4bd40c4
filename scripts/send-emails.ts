// `npm run emails:send`: the local stand-in for the pg_cron + pg_net job that calls the
// send-emails function every minute on Supabase. Calls it once, or every minute with --watch.
import { callLikeCron } from "./lib/cron-call.ts";

await callLikeCron("send-emails");
