// The local stand-in for the pg_cron + pg_net jobs that call a service function every minute on
// Supabase (private.call_edge_function): `npm run emails:send` and `npm run zoom:sync`.
import { SECRET_KEY } from "./keys.ts";

/** Where the local functions answer: FUNCTIONS_URL, else the gateway's port (54321). */
const functionsUrl = () =>
  Deno.env.get("FUNCTIONS_URL") ??
    `http://127.0.0.1:${Deno.env.get("SUPABASE_FUNCTIONS_PORT") ?? "54321"}/functions/v1`;

/** Calls the function `name` as the cron job does, and prints what it answered. */
async function callOnce(name: string): Promise<void> {
  const res = await fetch(`${functionsUrl()}/${name}`, {
    method: "POST",
    // As the cron job sends it: the secret key in the apikey header, never as a bearer.
    headers: { apikey: SECRET_KEY, "content-type": "application/json" },
    body: "{}",
  });
  console.log(new Date().toISOString(), res.status, await res.text());
}

/** Calls the function `name` once, or every minute when the command line has --watch. */
export async function callLikeCron(name: string): Promise<void> {
  await callOnce(name);
  if (Deno.args.includes("--watch")) setInterval(() => callOnce(name), 60_000);
}
