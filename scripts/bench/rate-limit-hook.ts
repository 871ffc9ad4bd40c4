// The rate-limit hook's cost (migration 20261122050000_rate_limits.sql): the read mix (every
// scenario's request, in turn, as its persona) with and without PostgREST's db-pre-request call,
// `select public.check_request()`, which PostgREST sends as its own statement in the request's
// read-only transaction after the settings and before the main query.
//   - added ms at p50: one client, the two modes alternating request by request, timed from the
//     hook (or where it would be) to the end of the main statement;
//   - throughput lost at 64 clients: each client a connection, running the mix back to back for a
//     fixed time, once without the hook and once with it.
// Targets (issue 14): under 0.2 ms added at p50, under 10% throughput lost at 64 clients.
import { connect, type Sql } from "../../supabase/functions/_shared/db.ts";
import { asPostgrest, type Scenario, userOf } from "./scenario.ts";
import type { Sample } from "./seed.ts";

export const TARGET_ADDED_MS = 0.2;
export const TARGET_LOSS = 0.1;

export interface HookCost {
  p50Without: number;
  p50With: number;
  addedP50: number;
  clients: number;
  seconds: number;
  rpsWithout: number;
  rpsWith: number;
  loss: number;
  /** Requests the hook refused (429) during the throughput run: a caller over its limit. */
  refused: number;
  ok: boolean;
}

type Mix = { sc: Scenario; s: Sample; claims: string }[];

/** One request of the mix as PostgREST runs it; returns the ms from the hook to the body. */
async function request(sql: Sql, m: Mix[number], i: number, hook: boolean): Promise<number> {
  return await sql.begin("read only", async (tx) => {
    const req = m.sc.request(m.s, i);
    await asPostgrest(tx, req, m.claims, true);
    const t0 = performance.now();
    if (hook) await tx.unsafe("select public.check_request()", [], { prepare: true });
    await tx.unsafe(req.sql, req.params as never[], { prepare: true });
    return performance.now() - t0;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureHook(
  url: string,
  scenarios: Scenario[],
  pool: Sample[],
  claims: Map<string, string>,
  opts: { iterations: number; clients?: number; seconds?: number; log?: (m: string) => void },
): Promise<HookCost> {
  const clients = opts.clients ?? 64;
  const seconds = opts.seconds ?? 10;
  const mix: Mix = pool.flatMap((s) =>
    scenarios.map((sc) => ({ sc, s, claims: claims.get(userOf(sc, s))! }))
  );

  // Latency: one connection, alternating.
  const one = connect(url, { max: 1 });
  const without: number[] = [];
  const withHook: number[] = [];
  try {
    for (let i = 0; i < 30; i++) await request(one, mix[i % mix.length], i, i % 2 === 0);
    for (let i = 0; i < opts.iterations * 2; i++) {
      const m = mix[Math.floor(i / 2) % mix.length];
      const hook = i % 2 === 1;
      (hook ? withHook : without).push(await request(one, m, i, hook));
    }
  } finally {
    await one.end();
  }

  // Throughput: `clients` connections, each on its own slice of the mix.
  let refused = 0;
  const run = async (hook: boolean) => {
    const sql = connect(url, { max: clients });
    try {
      await Promise.all(Array.from({ length: clients }, (_, c) => request(sql, mix[c], c, hook)));
      let done = 0;
      const end = performance.now() + seconds * 1000;
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        for (let i = c * 7919; performance.now() < end; i++) {
          try {
            await request(sql, mix[i % mix.length], i, hook);
            done++;
          } catch (e) {
            if ((e as { code?: string }).code !== "PGRST") throw e;
            refused++;
          }
        }
      }));
      return done / seconds;
    } finally {
      await sql.end();
    }
  };
  opts.log?.(`hook: ${clients} clients for ${seconds} s without the hook, then with it`);
  const rpsWithout = await run(false);
  const rpsWith = await run(true);

  const p50Without = median(without);
  const p50With = median(withHook);
  const addedP50 = p50With - p50Without;
  const loss = 1 - rpsWith / rpsWithout;
  return {
    p50Without,
    p50With,
    addedP50,
    clients,
    seconds,
    rpsWithout,
    rpsWith,
    loss,
    refused,
    ok: addedP50 < TARGET_ADDED_MS && loss < TARGET_LOSS,
  };
}

/** The report's section on the hook. */
export function hookReport(h: HookCost, iterations: number): string[] {
  const f = (n: number) => n.toFixed(3);
  return [
    "## Rate-limit hook (db-pre-request)",
    "",
    "`scripts/bench/rate-limit-hook.ts`: the read mix above (every scenario's request in turn, as",
    "its persona, RLS on) with and without `select public.check_request()`, the statement PostgREST",
    "sends before each request's main query once the hook is registered. Reads take one of the",
    "caller's in-flight slots (an advisory lock; PostgREST's read-only transactions cannot write).",
    `Latency: ${iterations} requests a mode on one connection, alternating; throughput: ` +
    `${h.clients} connections running the mix back to back for ${h.seconds} s a mode.`,
    "",
    "| measure | without the hook | with the hook | cost | target | met |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
    `| p50, hook + main statement (ms) | ${f(h.p50Without)} | ${f(h.p50With)} | ` +
    `${f(h.addedP50)} ms | < ${TARGET_ADDED_MS} ms | ${
      h.addedP50 < TARGET_ADDED_MS ? "yes" : "**missed**"
    } |`,
    `| requests a second, ${h.clients} clients | ${h.rpsWithout.toFixed(0)} | ${
      h.rpsWith.toFixed(0)
    } | ${(h.loss * 100).toFixed(1)}% | < ${TARGET_LOSS * 100}% | ${
      h.loss < TARGET_LOSS ? "yes" : "**missed**"
    } |`,
    "",
    `Requests the hook refused during the throughput run (a caller over its in-flight limit): ${h.refused}.`,
    "",
  ];
}
