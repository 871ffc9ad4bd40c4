// `npm run bench`: generates a large platform on a throwaway database and times the hot read paths
// as `authenticated` with JWT claims (RLS on, as PostgREST runs them) and as the superuser (RLS
// bypassed), then writes p50/p95 and the RLS overhead to docs/BENCHMARKS.md.
//
// BENCH_SCALE scales every count (1 = 10k courses, 100k students, 1M entitlements, 5M progress
// rows). BENCH_ITERATIONS sets the timed runs per query and mode (default 300). BENCH_OUT,
// BENCH_TARGET_P95_MS and BENCH_TARGET_OVERHEAD override the report path and the targets.
import { join } from "node:path";
import { connect, type Sql } from "../supabase/functions/_shared/db.ts";
import { accessTokenClaims } from "./lib/access-token.ts";
import { bin, root } from "./lib/paths.ts";
import { adminUrl } from "./lib/postgres.ts";
import { log, must } from "./lib/proc.ts";
import { throwawayDatabase } from "./lib/throwaway.ts";

const scale = Number(Deno.env.get("BENCH_SCALE") ?? "1");
const iterations = Number(Deno.env.get("BENCH_ITERATIONS") ?? "300");
const warmup = 30;
const targetP95Ms = Number(Deno.env.get("BENCH_TARGET_P95_MS") ?? "25");
const targetOverhead = Number(Deno.env.get("BENCH_TARGET_OVERHEAD") ?? "1.5");

const n = {
  instructors: Math.max(10, Math.round(500 * scale)),
  students: Math.max(100, Math.round(100_000 * scale)),
  courses: Math.max(20, Math.round(10_000 * scale)),
  sectionsPerCourse: 3,
  lessonsPerSection: 5,
  coursesPerStudent: 10, // entitlements = students x 10
  completedPerEntitlement: 5, // progress rows = entitlements x 5
};

async function generate(sql: Sql) {
  const t0 = performance.now();
  const step = async (label: string, query: string) => {
    const s = performance.now();
    await sql.unsafe(query);
    log(`${label} (${((performance.now() - s) / 1000).toFixed(1)}s)`);
  };
  await step(
    `${n.instructors + n.students} users (profiles by trigger)`,
    `
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
           case when i <= ${n.instructors} then 'teacher' || i || '@bench.local' else 'student' || i || '@bench.local' end,
           '', now(), '{"provider":"email"}', jsonb_build_object('display_name', 'Person ' || i), now(), now()
    from generate_series(1, ${n.instructors + n.students}) i`,
  );
  await step(
    "instructor roles",
    `insert into public.user_roles (user_id, role)
     select id, 'instructor' from auth.users where email like 'teacher%@bench.local'`,
  );
  await step(
    "categories",
    `insert into public.categories (slug, name) select 'bench-' || i, 'Category ' || i from generate_series(1, 10) i;
     insert into public.categories (slug, name, parent_id)
     select 'bench-' || p.i || '-' || j, 'Category ' || p.i || '.' || j, c.id
     from generate_series(1, 10) p(i) join public.categories c on c.slug = 'bench-' || p.i
     cross join generate_series(1, 5) j`,
  );
  const words = [
    "postgres",
    "design",
    "python",
    "marketing",
    "security",
    "data",
    "css",
    "react",
    "ml",
    "writing",
  ];
  await step(
    `${n.courses} courses (instructors and search fields by trigger)`,
    `
    with t as (select array_agg(id order by email) ids from auth.users where email like 'teacher%@bench.local'),
         cats as (select array_agg(id) ids from public.categories where parent_id is not null)
    insert into public.courses (slug, title, subtitle, description, level, language, category_id, owner_id,
                                is_free, list_price_amount, list_price_currency, tags)
    select 'bench-course-' || i,
           initcap((array['${words.join("','")}'])[1 + i % 10]) || ' course number ' || i,
           'Learn ' || (array['${words.join("','")}'])[1 + (i / 10) % 10] || ' the practical way',
           'A complete course about ' || (array['${
      words.join("','")
    }'])[1 + i % 10] || ' with exercises.',
           (array['beginner','intermediate','advanced','all_levels'])[1 + i % 4]::public.course_level,
           (array['en','en','de','fr','es'])[1 + i % 5],
           cats.ids[1 + i % array_length(cats.ids, 1)],
           t.ids[1 + i % array_length(t.ids, 1)],
           i % 10 = 0,
           case when i % 10 = 0 then null else 900 + (i % 90) * 100 end,
           case when i % 10 = 0 then null else 'USD' end,
           array[(array['${words.join("','")}'])[1 + i % 10]]
    from generate_series(1, ${n.courses}) i, t, cats`,
  );
  await step(
    `${n.courses * n.sectionsPerCourse} sections`,
    `insert into public.sections (course_id, title, position)
     select c.id, 'Section ' || s, s - 1 from public.courses c cross join generate_series(1, ${n.sectionsPerCourse}) s
     where c.slug like 'bench-course-%'`,
  );
  await step(
    `${n.courses * n.sectionsPerCourse * n.lessonsPerSection} lessons and contents`,
    `insert into public.lessons (section_id, title, kind, position, duration_seconds, is_preview, drip_days)
     select s.id, 'Lesson ' || s.position || '.' || l, 'video', l - 1, 300 + l * 60, s.position = 0 and l = 1,
            case when s.position = 2 then 7 end
     from public.sections s join public.courses c on c.id = s.course_id and c.slug like 'bench-course-%'
     cross join generate_series(1, ${n.lessonsPerSection}) l;
     insert into public.lesson_contents (lesson_id, body, video_url)
     select l.id, repeat('Lesson text. ', 80), 'https://videos.example.com/' || l.id
     from public.lessons l join public.courses c on c.id = l.course_id and c.slug like 'bench-course-%'`,
  );
  await step(
    "publish every course (publish rule and visibility copies by trigger)",
    `update public.courses set status = 'published', rating_avg = 3 + (hashtext(slug) & 127) / 64.0,
            rating_count = 1 + (hashtext(slug) & 255)
     where slug like 'bench-course-%'`,
  );
  // Bulk rows with no triggers of their own; replica mode skips the FK triggers (the data is
  // consistent by construction), as a restore would.
  await sql.unsafe(`set session_replication_role = replica`);
  await step(
    `${n.students * n.coursesPerStudent} entitlements`,
    `
    create temporary table bench_courses as
      select row_number() over (order by id) - 1 as k, id from public.courses where slug like 'bench-course-%';
    create index on bench_courses (k);
    create temporary table bench_students as
      select row_number() over (order by id) - 1 as k, id from auth.users where email like 'student%@bench.local';
    -- free and grant rows: purchase and subscription rows must name their order or subscription
    -- (entitlements_source_link), and access does not depend on the source.
    insert into public.entitlements (user_id, course_id, source, starts_at)
    select s.id, c.id, (array['free','grant'])[1 + (s.k + j) % 2]::public.entitlement_source,
           now() - make_interval(days => ((s.k * 7 + j * 13) % 120)::int)
    from bench_students s cross join generate_series(1, ${n.coursesPerStudent}) j
    join bench_courses c on c.k = (s.k * 7919 + j * 4729) % ${n.courses}`,
  );
  await step(
    `${n.students * n.coursesPerStudent * n.completedPerEntitlement} lesson progress rows`,
    `
    create temporary table bench_lessons as
      select l.course_id, l.id, row_number() over (partition by l.course_id order by s.position, l.position) as ord
      from public.lessons l join public.sections s on s.id = l.section_id
      where l.course_id in (select id from bench_courses);
    create index on bench_lessons (course_id, ord);
    insert into public.lesson_progress (user_id, lesson_id, course_id, completed_at, time_spent_seconds, last_position_seconds)
    select e.user_id, l.id, e.course_id, e.starts_at + make_interval(days => l.ord::int), 300, 300
    from public.entitlements e
    join bench_lessons l on l.course_id = e.course_id and l.ord <= ${n.completedPerEntitlement}`,
  );
  await step(
    "course progress",
    `insert into public.course_progress (user_id, course_id, completed_lessons, required_lessons, percent, last_activity_at)
     select e.user_id, e.course_id, ${n.completedPerEntitlement}, ${
      n.sectionsPerCourse * n.lessonsPerSection
    },
            round(100.0 * ${n.completedPerEntitlement} / ${
      n.sectionsPerCourse * n.lessonsPerSection
    }, 2), e.starts_at
     from public.entitlements e where e.course_id in (select id from bench_courses)`,
  );
  await sql.unsafe(`set session_replication_role = origin`);
  await step("vacuum analyze", `vacuum analyze`);
  return (performance.now() - t0) / 1000;
}

interface Sample {
  student: string;
  courseId: string;
  lessonId: string;
  instructor: string;
}

async function samples(sql: Sql): Promise<Sample[]> {
  return await sql<Sample[]>`
    select e.user_id as student, e.course_id as "courseId",
           (select l.id from public.lessons l where l.course_id = e.course_id order by l.position limit 1 offset 1) as "lessonId",
           c.owner_id as instructor
    from public.entitlements e join public.courses c on c.id = e.course_id
    where e.starts_at < now() - interval '1 day'
    order by hashtext(e.id::text) limit 500`;
}

const searchTerms = ["postgres", "python course", "desing", "data security", "marketing", "react"];

interface Query {
  name: string;
  /** Whose claims the query runs with. */
  persona: (s: Sample) => string;
  text: string;
  params: (s: Sample, i: number) => unknown[];
}

const queries: Query[] = [
  {
    name: "catalog search (search_courses, relevance, 20 rows)",
    persona: (s) => s.student,
    text:
      `select id, title, rating_avg, cursor from public.search_courses(q => $1, page_size => 20)`,
    params: (_s, i) => [searchTerms[i % searchTerms.length]],
  },
  {
    name: "course outline (lessons of a course)",
    persona: (s) => s.student,
    text:
      `select id, section_id, title, kind, position, duration_seconds, is_preview from public.lessons
           where course_id = $1 order by section_id, position`,
    params: (s) => [s.courseId],
  },
  {
    name: "lesson content, entitled student",
    persona: (s) => s.student,
    text: `select body, video_url from public.lesson_contents where lesson_id = $1`,
    params: (s) => [s.lessonId],
  },
  {
    name: "my dashboard (my_dashboard)",
    persona: (s) => s.student,
    text: `select course_id, title, percent, next_lesson_title from public.my_dashboard()`,
    params: () => [],
  },
  {
    name: "instructor's course list",
    persona: (s) => s.instructor,
    text: `select id, title, status, rating_avg, rating_count from public.courses
           where owner_id = $1 order by updated_at desc limit 50`,
    params: (s) => [s.instructor],
  },
];

/** A user's access-token claims as Supabase Auth builds them (hook included), as JSON text. */
async function claimsFor(sql: Sql, user: string): Promise<string> {
  return JSON.stringify(await accessTokenClaims(sql, user));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function time(sql: Sql, q: Query, pool: Sample[], claims: Map<string, string>, rls: boolean) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    const s = pool[i % pool.length];
    const c = claims.get(q.persona(s))!;
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${c}, true)`;
      if (rls) await tx`select set_config('role', 'authenticated', true)`;
      const t0 = performance.now();
      const result = await tx.unsafe(q.text, q.params(s, i) as never[]);
      const ms = performance.now() - t0;
      if (i >= warmup) {
        times.push(ms);
        rows += result.length;
      }
    });
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), rows: rows / iterations };
}

/** EXPLAIN ANALYZE with RLS; for functions, also the plans of the statements inside (auto_explain). */
async function explain(url: string, q: Query, s: Sample, claims: string): Promise<string> {
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
      await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      await tx`select set_config('role', 'authenticated', true)`;
      const plan = await tx.unsafe(
        `explain (analyze, buffers, costs off) ${q.text}`,
        q.params(s, 0) as never[],
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
  const genSeconds = await generate(sql);
  const [counts] = await sql`
    select (select count(*) from public.courses) as courses,
           (select count(*) from auth.users) as users,
           (select count(*) from public.lessons) as lessons,
           (select count(*) from public.entitlements) as entitlements,
           (select count(*) from public.lesson_progress) as progress,
           pg_size_pretty(pg_database_size(current_database())) as size`;
  const pool = await samples(sql);
  const claims = new Map<string, string>();
  for (const s of pool) {
    for (const u of [s.student, s.instructor]) {
      if (!claims.has(u)) claims.set(u, await claimsFor(sql, u));
    }
  }

  const results = [];
  for (const q of queries) {
    log(`timing: ${q.name}`);
    const withRls = await time(sql, q, pool, claims, true);
    const bypass = await time(sql, q, pool, claims, false);
    const overhead = withRls.p50 / bypass.p50;
    const ok = withRls.p95 <= targetP95Ms && overhead <= targetOverhead;
    const plan = ok
      ? ""
      : await explain(adminUrl(db.cluster), q, pool[0], claims.get(q.persona(pool[0]))!);
    results.push({ q, withRls, bypass, overhead, ok, plan });
  }

  const f = (ms: number) => ms.toFixed(2);
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown CPU";
  const lines = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (scripts/bench.ts). Do not edit by hand; rerun it.",
    "",
    `- Date: ${
      new Date().toISOString().slice(0, 10)
    }; machine: ${navigator.hardwareConcurrency} cores, ${cpu};`,
    `  PostgreSQL 15 (Debian) over TCP on loopback, fsync off (throwaway cluster).`,
    `- Scale ${scale}: ${counts.courses} courses (${counts.lessons} lessons), ${counts.users} users, ` +
    `${counts.entitlements} entitlements, ${counts.progress} lesson progress rows; database ${counts.size}; ` +
    `generated in ${genSeconds.toFixed(0)} s.`,
    `- Each query: ${warmup} warm-up runs, then ${iterations} timed runs per mode, cycling through 500 sampled`,
    "  students (and their courses' owners). Times are the query's round trip from Deno (postgres.js),",
    "  inside a transaction that first sets `request.jwt.claims` (both modes) and `role authenticated`",
    "  (RLS mode), as PostgREST does.",
    `- Targets: p95 ≤ ${targetP95Ms} ms with RLS, and RLS overhead (p50 with RLS / p50 bypassed) ≤ ${targetOverhead}×.`,
    "",
    "| query | p50 RLS (ms) | p95 RLS (ms) | p50 bypass (ms) | p95 bypass (ms) | overhead | rows | target |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results.map((r) =>
      `| ${r.q.name} | ${f(r.withRls.p50)} | ${f(r.withRls.p95)} | ${f(r.bypass.p50)} | ${
        f(r.bypass.p95)
      } | ` +
      `${r.overhead.toFixed(2)}× | ${r.withRls.rows.toFixed(1)} | ${r.ok ? "met" : "**missed**"} |`
    ),
    "",
  ];
  lines.push(
    "Notes:",
    "",
    "- `search_courses` and `my_dashboard` run as their owner (security definer): they select only",
    "  published courses, or the caller's own rows, explicitly. With RLS they differ from the bypass",
    "  run only by the role switch.",
    "- Search ranks every full-text hit before taking a page: a common word (one in ten bench courses",
    "  has `postgres` in its title) means ranking about a thousand rows, which is most of its time.",
    "  Typos are corrected against the catalog's word list first, so the search stays on its GIN index.",
    "- Outline and content reads are primary-key or course-id lookups; the RLS checks on them are the",
    "  denormalized `course_public`/`is_preview` flags and one `lesson_state()` call per row read.",
    "",
  );
  const missed = results.filter((r) => !r.ok);
  if (missed.length) {
    lines.push("## Targets missed", "");
    for (const r of missed) {
      lines.push(`### ${r.q.name}`, "", "```sql", r.q.text.replace(/\s+/g, " ").trim(), "```", "");
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
  const out = Deno.env.get("BENCH_OUT") ?? join(root, "docs", "BENCHMARKS.md");
  await Deno.writeTextFile(out, lines.join("\n"));
  await must([bin("deno"), "fmt", out], { cwd: root });
  console.log(lines.slice(0, 18).join("\n"));
  log(`wrote ${out}`);
} finally {
  await sql.end();
  await db.dispose();
}
