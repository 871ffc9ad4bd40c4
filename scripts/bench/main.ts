// `npm run bench`: generates a large platform on a throwaway database (./seed.ts), then times each
// scenario (one module each, listed in ./scenarios.ts): the statement PostgREST runs for the
// supabase-js call a frontend makes, as `authenticated` with the persona's JWT claims (RLS on, as
// PostgREST runs it) and as the superuser with the same claims (RLS bypassed). Writes p50/p95,
// the RLS overhead and each call to docs/BENCHMARKS.md, with EXPLAIN plans for any missed target.
// Then the exam day's load scenarios (./load.ts): an exam course with its students on the same
// platform, many students' calls at once through a pool like PostgREST's.
//
//   npm run bench                                  every scenario; writes docs/BENCHMARKS.md
//   npm run bench -- course-outline lesson-content only these (printed; BENCH_OUT to write them)
//   npm run bench -- --list                        the scenarios' ids
//   npm run bench -- rate-limit-hook               only the rate-limit hook's cost (./rate-limit-hook.ts)
//
// BENCH_SCALE scales every count (1 = 10k courses, 100k students, 1M entitlements, 5M progress
// rows). BENCH_ITERATIONS sets the timed runs per scenario and mode (default 300). BENCH_OUT,
// BENCH_TARGET_P95_MS (default 25, or a scenario's own) and BENCH_TARGET_OVERHEAD (default 1.5)
// override the report path and the targets; BENCH_MACHINE describes the machine in the report.
// The exam: BENCH_EXAM_STUDENTS (default 2000) take it through a pool of BENCH_EXAM_POOL
// connections (default 10, PostgREST's db-pool); BENCH_EXAM_SPEED divides its clock (default 1:
// real time, about 7 minutes); BENCH_EXAM_ATTEMPTS (default 10000) finished attempts feed the
// item statistics.
import { join } from "node:path";
import { connect, type Sql } from "../../supabase/functions/_shared/db.ts";
import { bin, root } from "../lib/paths.ts";
import { adminUrl } from "../lib/postgres.ts";
import { log, must } from "../lib/proc.ts";
import { throwawayDatabase } from "../lib/throwaway.ts";
import type { LoadOptions, LoadResult, LoadScenario } from "./load.ts";
import { hookReport, measureHook } from "./rate-limit-hook.ts";
import { asPostgrest, runRequest, type Scenario, userOf } from "./scenario.ts";
import { loads, scenarios } from "./scenarios.ts";
import { claimsOf, generate, generateExam, type Sample, samples, size } from "./seed.ts";

const scale = Number(Deno.env.get("BENCH_SCALE") ?? "1");
const iterations = Number(Deno.env.get("BENCH_ITERATIONS") ?? "300");
const warmup = 30;
const p95Override = Deno.env.get("BENCH_TARGET_P95_MS");
const targetOverhead = Number(Deno.env.get("BENCH_TARGET_OVERHEAD") ?? "1.5");
const examStudents = Number(Deno.env.get("BENCH_EXAM_STUDENTS") ?? "2000");
const examPool = Number(Deno.env.get("BENCH_EXAM_POOL") ?? "10");
const examSpeed = Number(Deno.env.get("BENCH_EXAM_SPEED") ?? "1");
const examAttempts = Number(Deno.env.get("BENCH_EXAM_ATTEMPTS") ?? "10000");

const all = [...Object.keys(scenarios), ...Object.keys(loads)];
if (Deno.args.includes("--list")) {
  for (const [id, sc] of [...Object.entries(scenarios), ...Object.entries(loads)]) {
    console.log(`${id}\t${sc.name}`);
  }
  Deno.exit(0);
}
const HOOK = "rate-limit-hook";
const withHook = Deno.args.length === 0 || Deno.args.includes(HOOK);
const args = Deno.args.filter((a) => a !== HOOK);
const unknown = args.filter((a) => !all.includes(a));
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; one of: ${all.join(", ")}`);
  Deno.exit(2);
}
const picked = Deno.args.length ? args : all;
const chosen = picked.filter((id) => id in scenarios);
const chosenLoads = picked.filter((id) => id in loads);
const everything = picked.length === all.length && withHook;
const out = Deno.env.get("BENCH_OUT") ?? (everything ? join(root, "docs", "BENCHMARKS.md") : null);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function time(
  sql: Sql,
  sc: Scenario,
  pool: Sample[],
  claims: Map<string, string>,
  rls: boolean,
) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    const s = pool[i % pool.length];
    const r = await sql.begin(
      "read only",
      (tx) => runRequest(tx, sc.request(s, i), claims.get(userOf(sc, s))!, rls),
    );
    if (i >= warmup) {
      times.push(r.ms);
      rows += r.rows;
    }
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), rows: rows / iterations };
}

/** EXPLAIN ANALYZE with RLS; for functions, also the plans of the statements inside (auto_explain). */
async function explain(url: string, sc: Scenario, s: Sample, claims: string): Promise<string> {
  const nested: string[] = [];
  const sql = connect(url, {
    max: 1,
    onnotice: (n) => {
      if (String(n.message).includes("Query Text")) nested.push(String(n.message));
    },
  });
  try {
    return await sql.begin(async (tx) => {
      await tx.unsafe(`load 'auto_explain'`);
      await tx.unsafe(`set local auto_explain.log_min_duration = 0`);
      await tx.unsafe(`set local auto_explain.log_analyze = on`);
      await tx.unsafe(`set local auto_explain.log_nested_statements = on`);
      await tx.unsafe(`set local auto_explain.log_level = notice`);
      const req = sc.request(s, 0);
      await asPostgrest(tx, req, claims, true);
      const plan = await tx.unsafe(
        `explain (analyze, buffers, costs off) ${req.sql}`,
        req.params as never[],
      );
      const top = plan.map((r) => r["QUERY PLAN"]).join("\n");
      const inner = nested.filter((m) =>
        !m.includes("explain (analyze") && !m.includes("set_config(")
      );
      return inner.length
        ? `${top}\n\nStatements inside, as auto_explain logged them:\n\n${inner.join("\n\n")}`
        : top;
    });
  } finally {
    await sql.end();
  }
}

const db = await throwawayDatabase();
const sql = connect(adminUrl(db.cluster), { max: 1 });
try {
  log(`generating data at scale ${scale}`);
  const genSeconds = await generate(sql, size(scale), { log });
  const [counts] = await sql`
    select (select count(*) from public.courses) as courses,
           (select count(*) from auth.users) as users,
           (select count(*) from public.lessons) as lessons,
           (select count(*) from public.entitlements) as entitlements,
           (select count(*) from public.lesson_progress) as progress,
           pg_size_pretty(pg_database_size(current_database())) as size`;
  const pool = await samples(sql);
  const claims = await claimsOf(sql, pool);

  const results = [];
  for (const id of chosen) {
    const sc = scenarios[id];
    log(`timing: ${sc.name}`);
    const withRls = await time(sql, sc, pool, claims, true);
    const bypass = await time(sql, sc, pool, claims, false);
    const overhead = withRls.p50 / bypass.p50;
    const targetP95 = p95Override ? Number(p95Override) : sc.targetP95Ms ?? 25;
    const ok = withRls.p95 <= targetP95 && overhead <= targetOverhead && withRls.rows > 0;
    const plan = ok
      ? ""
      : await explain(adminUrl(db.cluster), sc, pool[0], claims.get(userOf(sc, pool[0]))!);
    results.push({ id, sc, withRls, bypass, overhead, targetP95, ok, plan });
  }

  const loadResults: { id: string; sc: LoadScenario; r: LoadResult }[] = [];
  if (chosenLoads.length) {
    const students = Math.max(examStudents, 1);
    const exam = await generateExam(sql, students, "run", { log });
    const url = adminUrl(db.cluster);
    const opts: LoadOptions = {
      url,
      admin: sql,
      exam,
      students,
      pool: examPool,
      speed: examSpeed,
      attempts: examAttempts,
      iterations,
      log,
    };
    for (const id of chosenLoads) {
      const sc = loads[id];
      log(`running: ${sc.name}`);
      loadResults.push({ id, sc, r: await sc.run(opts) });
    }
  }

  let hook = null;
  if (withHook) {
    log("timing: the rate-limit hook on the read mix");
    hook = await measureHook(adminUrl(db.cluster), Object.values(scenarios), pool, claims, {
      iterations,
      log,
    });
  }

  const f = (ms: number) => ms.toFixed(2);
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  const machine = Deno.env.get("BENCH_MACHINE") ?? `${navigator.hardwareConcurrency} cores, ${cpu}`;
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (`scripts/bench/`: one module per scenario, `seed.ts` for the data,",
    "`main.ts` runs them). Do not edit by hand; rerun it.",
    "",
    `- Date: ${new Date().toISOString().slice(0, 10)}; machine: ${machine};`,
    `  PostgreSQL 15 (Debian) over TCP on loopback, fsync off (throwaway cluster).`,
    `- Scale ${scale}: ${counts.courses} courses (${counts.lessons} lessons), ${counts.users} users, ` +
    `${counts.entitlements} entitlements, ${counts.progress} lesson progress rows; database ${counts.size}; ` +
    `generated in ${genSeconds.toFixed(0)} s.`,
  ];
  if (results.length) {
    lines.push(
      `- Each scenario times the statement PostgREST 12.0.2 runs for a frontend's supabase-js call`,
      "  (below): an RPC through `json_to_recordset` and its named arguments, a table read with its",
      "  filters, both aggregated into the JSON body, prepared. It runs in a read-only transaction",
      "  that first makes PostgREST's settings local (`search_path`, `request.jwt.claims` of the",
      "  persona's access token, built through the custom access token hook, method and path) and,",
      "  with RLS, `role authenticated`; bypassed, the superuser runs it with the same claims.",
      `- ${warmup} warm-up runs, then ${iterations} timed runs per mode, cycling through ${pool.length} sampled`,
      "  students (one of their courses, its second lesson, its owner). Times are the statement's",
      "  round trip from Deno (postgres.js); HTTP, the gateway and PostgREST's own work are not in them.",
      `- Targets: p95 with RLS ≤ the scenario's target, RLS overhead (p50 with RLS / p50 bypassed) ≤ ` +
        `${targetOverhead}×, and at least one row answered.`,
      "",
      "| scenario | p50 RLS (ms) | p95 RLS (ms) | p50 bypass (ms) | p95 bypass (ms) | overhead | rows | p95 target (ms) | met |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
      ...results.map((r) =>
        `| ${r.sc.name} | ${f(r.withRls.p50)} | ${f(r.withRls.p95)} | ${f(r.bypass.p50)} | ` +
        `${f(r.bypass.p95)} | ${r.overhead.toFixed(2)}× | ${r.withRls.rows.toFixed(1)} | ` +
        `${r.targetP95} | ${r.ok ? "yes" : "**missed**"} |`
      ),
      "",
      "What each row calls, as the persona (`scripts/bench/<id>.ts`), and what the numbers mean:",
      "",
    );
  }
  for (const r of results) {
    lines.push(`- **${r.id}** (${r.sc.persona}): \`${r.sc.call}\`.`);
    if (r.sc.notes) lines.push(`  ${r.sc.notes}`);
  }
  if (results.length) lines.push("");
  if (hook) lines.push(...hookReport(hook, iterations));
  const missed = results.filter((r) => !r.ok);
  if (missed.length) {
    lines.push("## Targets missed", "");
    for (const r of missed) {
      const text = r.sc.request(pool[0], 0).sql;
      lines.push(`### ${r.sc.name}`, "", "```sql", text, "```", "");
      lines.push(
        "EXPLAIN (ANALYZE, BUFFERS) with RLS, as `authenticated`:",
        "",
        "```",
        r.plan,
        "```",
        "",
      );
    }
  }
  if (loadResults.length) lines.push(...examReport(loadResults));
  let report = lines.join("\n");
  if (out) {
    // Blocks other bench scripts write into the same report (`<!-- bench:<id>:begin -->` to
    // `<!-- bench:<id>:end -->`, e.g. scripts/bench/chat/main.ts) are kept.
    const previous = await Deno.readTextFile(out).catch(() => "");
    for (
      const block
        of previous.match(/<!-- bench:[\w-]+:begin -->[\s\S]*?<!-- bench:[\w-]+:end -->/g) ?? []
    ) {
      report += "\n" + block + "\n";
    }
    await Deno.writeTextFile(out, report);
    await must([bin("deno"), "fmt", out], { cwd: root });
    console.log(await Deno.readTextFile(out));
    log(`wrote ${out}`);
  } else {
    console.log(report);
  }
} finally {
  await sql.end();
  await db.dispose();
}

/** The exam day's section: how the crowd runs, then each load scenario's calls and figures. */
function examReport(done: { id: string; sc: LoadScenario; r: LoadResult }[]): string[] {
  const ms = (n: number) => (Number.isNaN(n) ? "–" : n.toFixed(1));
  const lines = [
    "## Exam day",
    "",
    `- An exam course on the same platform: ${examStudents} students with access to it (a grant),`,
    "  its instructor, a bank of ten auto-graded questions (four single choice, two multiple choice,",
    "  two true/false, a short answer, a numeric one); each scenario gets a fresh quiz lesson.",
    `- Every call goes through a pool of ${examPool} connections (postgres.js; PostgREST's \`db-pool\``,
    "  default is 10, and with 2 cores more connections add contention, not throughput), in its own",
    "  read-write transaction, as PostgREST runs a POST /rpc: its settings made local",
    "  (`request.jwt.claims` of the student's access token, built through the custom access token",
    "  hook; `role authenticated`), then the statement PostgREST issues for `supabase.rpc(...)`",
    "  (a JSON body through `json_to_recordset`, a scalar function in a `pgrst_scalar` column),",
    "  prepared. Latency: from the moment the student sends the call (waiting for a free connection",
    "  included) to the commit; HTTP, the gateway and PostgREST's own work are not in it.",
    `- The exam's clock runs at ${examSpeed === 1 ? "real time" : `${examSpeed}× real time`}` +
    " (BENCH_EXAM_SPEED); the counts and the order of calls do not change with it.",
    "",
  ];
  for (const { id, sc, r } of done) {
    lines.push(`### ${sc.name} (\`${id}\`)`, "", `${sc.call}. ${sc.notes}`, "");
    lines.push(
      "| call | calls | errors | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | statement p95 (ms) | calls/s |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...r.calls.map((c) =>
        `| ${c.call} | ${c.count} | ${c.errors} | ${ms(c.p50)} | ${ms(c.p95)} | ${ms(c.p99)} | ` +
        `${ms(c.max)} | ${ms(c.statementP95)} | ${c.perSecond ? c.perSecond.toFixed(0) : ""} |`
      ),
      "",
      "| figure | measured | target | met |",
      "| --- | --- | --- | --- |",
      ...r.figures.map((fg) =>
        `| ${fg.label} | ${fg.value} | ${fg.target ?? ""} | ` +
        `${fg.met === undefined ? "" : fg.met ? "yes" : "**missed**"} |`
      ),
      "",
    );
    if (r.errorSamples.length) {
      lines.push("Errors seen:", "", ...r.errorSamples.map((e) => `- \`${e}\``), "");
    }
  }
  return lines;
}
