// The bench's data: a large platform generated in SQL (users, instructors, a category tree,
// published courses with sections, lessons and contents, entitlements, progress), and the sample
// of students, courses, lessons and instructors every scenario draws its requests from.
//
// Every scenario shares this one module, so they all run against the same platform.
import type { Sql, Tx } from "../../supabase/functions/_shared/db.ts";
import { accessTokenClaims } from "../lib/access-token.ts";

/** How much to generate. Scale 1 = 10k courses, 100k students, 1M entitlements, 5M progress rows. */
export interface Size {
  instructors: number;
  students: number;
  courses: number;
  sectionsPerCourse: number;
  lessonsPerSection: number;
  /** Entitlements = students × this. */
  coursesPerStudent: number;
  /** Lesson progress rows = entitlements × this. */
  completedPerEntitlement: number;
}

/** The counts at a scale; the smallest (scale 0) is still a platform every scenario can run on. */
export function size(scale: number): Size {
  return {
    instructors: Math.max(10, Math.round(500 * scale)),
    students: Math.max(100, Math.round(100_000 * scale)),
    courses: Math.max(20, Math.round(10_000 * scale)),
    sectionsPerCourse: 3,
    lessonsPerSection: 5,
    coursesPerStudent: 10,
    completedPerEntitlement: 5,
  };
}

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

/**
 * Writes the platform as the superuser (bench courses have slugs `bench-course-N`, users
 * `@bench.local` addresses). Triggers run as they would for real writes (profiles, course
 * instructors, search fields, publish rules), except for the bulk entitlement and progress rows,
 * written in replica mode as a restore would (consistent by construction). `analyze: false` skips
 * the final VACUUM ANALYZE, which can't run inside a transaction (the smoke test's).
 */
export async function generate(
  sql: Sql | Tx,
  n: Size,
  opts: { analyze?: boolean; log?: (line: string) => void } = {},
): Promise<number> {
  const t0 = performance.now();
  const step = async (label: string, query: string) => {
    const s = performance.now();
    await sql.unsafe(query);
    opts.log?.(`${label} (${((performance.now() - s) / 1000).toFixed(1)}s)`);
  };
  const list = `array['${words.join("','")}']`;
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
  await step(
    `${n.courses} courses (instructors and search fields by trigger)`,
    `
    with t as (select array_agg(id order by email) ids from auth.users where email like 'teacher%@bench.local'),
         cats as (select array_agg(id) ids from public.categories where parent_id is not null)
    insert into public.courses (slug, title, subtitle, description, level, language, category_id, owner_id,
                                is_free, list_price_amount, list_price_currency, tags)
    select 'bench-course-' || i,
           initcap((${list})[1 + i % 10]) || ' course number ' || i,
           'Learn ' || (${list})[1 + (i / 10) % 10] || ' the practical way',
           'A complete course about ' || (${list})[1 + i % 10] || ' with exercises.',
           (array['beginner','intermediate','advanced','all_levels'])[1 + i % 4]::public.course_level,
           (array['en','en','de','fr','es'])[1 + i % 5],
           cats.ids[1 + i % array_length(cats.ids, 1)],
           t.ids[1 + i % array_length(t.ids, 1)],
           i % 10 = 0,
           case when i % 10 = 0 then null else 900 + (i % 90) * 100 end,
           case when i % 10 = 0 then null else 'USD' end,
           array[(${list})[1 + i % 10]]
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
  const lessons = n.sectionsPerCourse * n.lessonsPerSection;
  await step(
    "course progress",
    `insert into public.course_progress (user_id, course_id, completed_lessons, required_lessons, percent, last_activity_at)
     select e.user_id, e.course_id, ${n.completedPerEntitlement}, ${lessons},
            round(100.0 * ${n.completedPerEntitlement} / ${lessons}, 2), e.starts_at
     from public.entitlements e where e.course_id in (select id from bench_courses)`,
  );
  await sql.unsafe(`set session_replication_role = origin`);
  if (opts.analyze !== false) await step("vacuum analyze", `vacuum analyze`);
  return (performance.now() - t0) / 1000;
}

/** One sampled request context: a student, one of their courses, an open lesson, its owner. */
export interface Sample {
  student: string;
  courseId: string;
  /** The second lesson of the course's first section: open to its students (no drip there). */
  lessonId: string;
  /** The course's owner, an instructor. */
  instructor: string;
}

/** Up to `limit` samples, spread over the bench's entitlements older than a day. */
export async function samples(sql: Sql | Tx, limit = 500): Promise<Sample[]> {
  return await sql<Sample[]>`
    select e.user_id as student, e.course_id as "courseId",
           (select l.id from public.lessons l join public.sections s on s.id = l.section_id
            where l.course_id = e.course_id order by s.position, l.position limit 1 offset 1) as "lessonId",
           c.owner_id as instructor
    from public.entitlements e join public.courses c on c.id = e.course_id
    where e.starts_at < now() - interval '1 day' and c.slug like 'bench-course-%'
    order by hashtext(e.id::text) limit ${limit}`;
}

/** The access-token claims (hook included) of every user the samples act as, as JSON text. */
export async function claimsOf(sql: Sql | Tx, pool: Sample[]): Promise<Map<string, string>> {
  const claims = new Map<string, string>();
  for (const s of pool) {
    for (const user of [s.student, s.instructor]) {
      if (!claims.has(user)) {
        claims.set(user, JSON.stringify(await accessTokenClaims(sql as Sql, user)));
      }
    }
  }
  return claims;
}
