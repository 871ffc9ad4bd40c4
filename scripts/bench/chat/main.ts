// `npm run bench:chat`: 1,000 members posting in one course channel. On a throwaway database
// (migrations and seed), one instructor's course with 1,000 students; then, at each concurrency,
// clients post messages as random members with the statement PostgREST 12.0.2 runs for
// `supabase.rpc("send_chat_message", { channel_id, body })` (POST /rpc/send_chat_message: the
// JSON body through json_to_recordset, named arguments, the row aggregated into the response), in
// a read-write transaction set up as PostgREST sets it up (role authenticated, the member's JWT
// claims), committed. Each message is inserted and broadcast (the trigger's realtime.send() into
// realtime.messages) in that transaction; the same run with the broadcast trigger disabled shows
// what the broadcast costs. Writes the "Chat" block of docs/BENCHMARKS.md (BENCH_OUT elsewhere).
//
// BENCH_CHAT_MESSAGES (default 2000) messages per run; BENCH_CHAT_CLIENTS (default "1,8,32")
// concurrent clients; BENCH_MACHINE describes the machine.
import { join } from "node:path";
import { connect } from "../../../supabase/functions/_shared/db.ts";
import { accessTokenClaims } from "../../lib/access-token.ts";
import { bin, root } from "../../lib/paths.ts";
import { adminUrl } from "../../lib/postgres.ts";
import { log, must } from "../../lib/proc.ts";
import { throwawayDatabase } from "../../lib/throwaway.ts";
import { asPostgrest, rpc } from "../scenario.ts";

const MEMBERS = 1000;
const messages = Number(Deno.env.get("BENCH_CHAT_MESSAGES") ?? "2000");
const clientCounts = (Deno.env.get("BENCH_CHAT_CLIENTS") ?? "1,8,32").split(",").map(Number);
const out = Deno.env.get("BENCH_OUT") ?? join(root, "docs", "BENCHMARKS.md");
const BEGIN = "<!-- bench:chat:begin -->";
const END = "<!-- bench:chat:end -->";

const send = rpc("send_chat_message", { channel_id: "uuid", body: "text" }, "chat_messages");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const db = await throwawayDatabase();
const admin = connect(adminUrl(db.cluster), { max: 1 });
try {
  log(`a course with ${MEMBERS} students`);
  await admin.unsafe(`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
           case when i = 0 then 'teacher@bench.local' else 'member' || i || '@bench.local' end,
           '', now(), '{"provider":"email"}', jsonb_build_object('display_name', 'Person ' || i), now(), now()
    from generate_series(0, ${MEMBERS}) i;
    insert into public.user_roles (user_id, role) select id, 'instructor' from auth.users where email = 'teacher@bench.local';
    insert into public.courses (slug, title, owner_id)
    select 'chat-bench', 'Chat bench course', id from auth.users where email = 'teacher@bench.local';
    insert into public.entitlements (user_id, course_id, source, starts_at)
    select u.id, c.id, 'grant', now() - interval '1 day'
    from auth.users u cross join public.courses c where u.email like 'member%@bench.local' and c.slug = 'chat-bench';
    analyze;`);
  const [{ channel }] = await admin<{ channel: string }[]>`
    select id as channel from public.chat_channels where course_id = (select id from public.courses where slug = 'chat-bench')`;
  const members = (await admin<{ id: string }[]>`
    select id from auth.users where email like 'member%@bench.local' order by email`).map((r) =>
    r.id
  );
  const claims = new Map<string, string>();
  for (const m of members) claims.set(m, JSON.stringify(await accessTokenClaims(admin, m)));

  const results: {
    clients: number;
    broadcast: boolean;
    perSecond: number;
    p50: number;
    p95: number;
    broadcasts: number;
  }[] = [];
  for (const broadcast of [true, false]) {
    await admin.unsafe(
      `alter table public.chat_messages ${
        broadcast ? "enable" : "disable"
      } trigger chat_messages_broadcast`,
    );
    for (const clients of clientCounts) {
      await admin.unsafe(`truncate public.chat_messages; delete from realtime.messages`);
      const pool = connect(adminUrl(db.cluster), { max: clients });
      const times: number[] = [];
      let next = 0;
      const worker = async () => {
        while (next < messages) {
          const i = next++;
          const member = members[(i * 7919) % members.length];
          const req = send({
            channel_id: channel,
            body: `message ${i} from a member, about lesson ${i % 40}`,
          });
          const t0 = performance.now();
          await pool.begin(async (tx) => {
            await asPostgrest(tx, req, claims.get(member)!, true);
            await tx`select set_config('request.method', 'POST', true)`;
            await tx.unsafe(req.sql, req.params as never[], { prepare: true });
          });
          times.push(performance.now() - t0);
        }
      };
      // Warm up each connection, then time the run.
      await Promise.all(Array.from({ length: clients }, () => pool`select 1`));
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, worker));
      const seconds = (performance.now() - t0) / 1000;
      await pool.end();
      times.sort((a, b) => a - b);
      const [{ n }] = await admin<{ n: number }[]>`
        select count(*)::int as n from realtime.messages where topic = ${"channel:" + channel}`;
      const [{ posted }] = await admin<
        { posted: number }[]
      >`select count(*)::int as posted from public.chat_messages`;
      if (posted !== messages) throw new Error(`expected ${messages} messages, found ${posted}`);
      if (broadcast && n !== messages) {
        throw new Error(`expected ${messages} broadcasts, found ${n}`);
      }
      const r = {
        clients,
        broadcast,
        perSecond: messages / seconds,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        broadcasts: n,
      };
      log(
        `${clients} clients, broadcast ${broadcast ? "on" : "off"}: ${r.perSecond.toFixed(0)}/s, ` +
          `p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms`,
      );
      results.push(r);
    }
  }

  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  const machine = Deno.env.get("BENCH_MACHINE") ?? `${navigator.hardwareConcurrency} cores, ${cpu}`;
  const f = (ms: number) => ms.toFixed(2);
  const block = [
    BEGIN,
    "## Chat: 1,000 members posting in one course channel",
    "",
    "Written by `npm run bench:chat` (`scripts/bench/chat/main.ts`). Do not edit by hand; rerun it.",
    "",
    `- Date: ${
      new Date().toISOString().slice(0, 10)
    }; machine: ${machine}; PostgreSQL 15, loopback TCP,`,
    "  fsync off (throwaway cluster: migrations and seed).",
    `- One course channel, ${MEMBERS} students with access. ${messages} messages per run, each posted by a`,
    "  member (round robin over all 1,000) with the statement PostgREST 12.0.2 runs for",
    '  `supabase.rpc("send_chat_message", { channel_id, body })`, as `authenticated` with the',
    "  member's claims, in its own committed transaction: the membership and mute checks, the insert and,",
    "  with broadcast, the trigger's `realtime.send()` row in `realtime.messages` (the one the Realtime",
    "  server delivers to every subscriber of `channel:<id>`; fanning out to sockets is the server's work",
    "  and not measured here). Latency is begin to commit, from Deno (postgres.js).",
    "- Every run checks that each message was stored and, with broadcast, broadcast once.",
    "",
    "| clients | broadcast | messages/s | p50 (ms) | p95 (ms) |",
    "| ---: | --- | ---: | ---: | ---: |",
    ...results.map((r) =>
      `| ${r.clients} | ${r.broadcast ? "on" : "off"} | ${r.perSecond.toFixed(0)} | ${f(r.p50)} | ${
        f(r.p95)
      } |`
    ),
    "",
    "No row is updated per message (the channel list computes the last message and unread counts from",
    "the `(channel_id, created_at)` index), so concurrent posters in one channel never wait on one row",
    "lock: throughput is bounded by the CPU and the commit, not by the channel.",
    END,
  ].join("\n");

  let current = "";
  try {
    current = await Deno.readTextFile(out);
  } catch {
    current = "# Benchmarks\n";
  }
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start
    ? current.slice(0, start) + block + current.slice(end + END.length)
    : current.trimEnd() + "\n\n" + block + "\n";
  await Deno.writeTextFile(out, next);
  await must([bin("deno"), "fmt", out], { cwd: root });
  log(`wrote ${out}`);
} finally {
  await admin.end();
  await db.dispose();
}
