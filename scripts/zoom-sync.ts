// `npm run zoom:sync`: the local stand-in for the pg_cron + pg_net job that calls the zoom-sync
// function every minute on Supabase (private.call_edge_function('zoom-sync')), cancelling at Zoom the
// registrants whose registration was cancelled. Calls it once, or every minute with --watch.
import { SECRET_KEY } from "./lib/keys.ts";

const functionsUrl = Deno.env.get("FUNCTIONS_URL") ??
  `http://127.0.0.1:${Deno.env.get("SUPABASE_FUNCTIONS_PORT") ?? "54321"}/functions/v1`;

async function once() {
  const res = await fetch(`${functionsUrl}/zoom-sync`, {
    method: "POST",
    // As the cron job sends it: the secret key in the apikey header, never as a bearer.
    headers: { apikey: SECRET_KEY, "content-type": "application/json" },
    body: "{}",
  });
  console.log(new Date().toISOString(), res.status, await res.text());
}

await once();
if (Deno.args.includes("--watch")) setInterval(once, 60_000);
