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

// ---------------------------------------------------------------------------------------------
// The exam: one course, its students, a question bank, and a fresh quiz per scenario
// ---------------------------------------------------------------------------------------------

/** The exam scenarios' course: who takes it, who teaches it, and its question bank. */
export interface Exam {
  /** Marks this exam's rows (emails, slug), so a test can remove them afterwards. */
  tag: string;
  courseId: string;
  sectionId: string;
  /** The course's owner, who reads the item statistics. */
  instructor: string;
  /** The students, each with access to the course (a grant). */
  students: string[];
  /** The bank's question ids, in their order in every quiz. */
  questions: string[];
  /** Access-token claims (hook included) of the students and the instructor, as JSON text. */
  claims: Map<string, string>;
}

/**
 * The bank every exam quiz draws from: choice questions of each kind (4 options, one or two
 * correct), a short answer and a numeric one; auto-graded, so a submit grades every answer.
 */
const bank = [
  ["single_choice", 4, 1],
  ["single_choice", 4, 1],
  ["single_choice", 4, 1],
  ["single_choice", 4, 1],
  ["multiple_choice", 4, 2],
  ["multiple_choice", 4, 2],
  ["true_false", 2, 1],
  ["true_false", 2, 1],
  ["short_answer", 0, 0],
  ["numeric", 0, 0],
] as const;

/**
 * Writes the exam as the superuser, committed (the scenarios run through a pool of their own
 * connections): `students` users with access to a published course `bench-exam-<tag>` owned by
 * an instructor, whose first lesson is a required video lesson nobody completes (the exam is
 * mid-course: passing it does not complete the course), and a bank of ten questions.
 */
export async function generateExam(
  sql: Sql,
  students: number,
  tag: string,
  opts: { log?: (line: string) => void } = {},
): Promise<Exam> {
  const t0 = performance.now();
  const domain = `${tag}.exam.bench.local`;
  await sql.unsafe(`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
           case when i = 0 then 'examiner@${domain}' else 'examinee' || i || '@${domain}' end,
           '', now(), '{"provider":"email"}', jsonb_build_object('display_name', 'Examinee ' || i), now(), now()
    from generate_series(0, ${students}) i`);
  const [{ instructor }] = await sql.unsafe(
    `select id as instructor from auth.users where email = 'examiner@${domain}'`,
  );
  await sql.unsafe(`insert into public.user_roles (user_id, role) values ($1, 'instructor')`, [
    instructor,
  ]);
  const [{ course_id }] = await sql.unsafe(
    `insert into public.courses (slug, title, subtitle, description, level, language, owner_id, is_free)
     values ('bench-exam-${tag}', 'The bench exam', 'Ten questions', 'A course with an exam.',
             'beginner', 'en', $1, true)
     returning id as course_id`,
    [instructor],
  );
  const [{ section_id }] = await sql.unsafe(
    `insert into public.sections (course_id, title, position) values ($1, 'Exam', 0) returning id as section_id`,
    [course_id],
  );
  await sql.unsafe(
    `with l as (insert into public.lessons (section_id, title, kind, position, duration_seconds)
                values ($1, 'Before the exam', 'video', 0, 600) returning id)
     insert into public.lesson_contents (lesson_id, body, video_url)
     select id, 'Read this first.', 'https://videos.example.com/exam' from l`,
    [section_id],
  );
  await sql.unsafe(`update public.courses set status = 'published' where id = $1`, [course_id]);
  await sql.unsafe(
    `insert into public.entitlements (user_id, course_id, source, starts_at)
     select u.id, $1, 'grant', now() - interval '2 days' from auth.users u
     where u.email like 'examinee%@${domain}'`,
    [course_id],
  );
  // The bank, set-based: questions, their options (the first `correct` ones are correct) and keys.
  const kinds = bank.map(([k]) => `'${k}'`).join(",");
  const optionCounts = bank.map(([, n]) => n).join(",");
  const correctCounts = bank.map(([, , c]) => c).join(",");
  const questions = await sql.begin(async (tx) => {
    await tx.unsafe(
      `create temporary table exam_bank on commit drop as
         select b.n, b.kind::public.question_kind as kind, b.options, b.correct, gen_random_uuid() as id
         from unnest(array[${kinds}], array[${optionCounts}], array[${correctCounts}])
              with ordinality b (kind, options, correct, n)`,
    );
    await tx.unsafe(
      `insert into public.questions (id, course_id, kind, prompt, points, created_by)
       select id, $1, kind, 'Question ' || n || ' (' || kind || ')', case when kind = 'multiple_choice' then 2 else 1 end, $2
       from exam_bank`,
      [course_id, instructor],
    );
    await tx.unsafe(
      `insert into public.question_options (question_id, course_id, position, label)
       select b.id, $1, o - 1, case when b.kind = 'true_false' then (array['True','False'])[o] else 'Option ' || o end
       from exam_bank b cross join generate_series(1, b.options) o`,
      [course_id],
    );
    await tx.unsafe(
      `insert into private.question_keys (question_id, correct_option_ids, accepted_answers, numeric_answer, tolerance)
       select b.id,
              coalesce((select array_agg(o.id order by o.position) from public.question_options o
                        where o.question_id = b.id and o.position < b.correct), '{}'),
              case when b.kind = 'short_answer' then array['forty two', '42'] else '{}' end,
              case when b.kind = 'numeric' then 3.14 end,
              case when b.kind = 'numeric' then 0.01 else 0 end
       from exam_bank b`,
    );
    return (await tx.unsafe(`select id from exam_bank order by n`)).map((r) => r.id as string);
  });
  const users = (await sql.unsafe(
    `select id from auth.users where email like 'examinee%@${domain}'
     order by (substring(email from 'examinee([0-9]+)@'))::int`,
  )).map((r) => r.id as string);
  const claims = new Map<string, string>();
  for (const user of [instructor, ...users]) {
    claims.set(user, JSON.stringify(await accessTokenClaims(sql as Sql, user)));
  }
  opts.log?.(
    `exam: ${users.length} students, ${questions.length} questions, their tokens ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)}s)`,
  );
  return {
    tag,
    courseId: course_id,
    sectionId: section_id,
    instructor,
    students: users,
    questions,
    claims,
  };
}

/** Quiz settings a scenario may set (the rest: the defaults of `quizzes`). */
export interface QuizSettings {
  max_attempts?: number | null;
  time_limit_seconds?: number | null;
  shuffle_questions?: boolean;
  shuffle_options?: boolean;
}

/** A new quiz lesson in the exam's course, with the whole bank as its pool; returns the quiz id. */
export async function addQuiz(
  sql: Sql,
  exam: Exam,
  title: string,
  settings: QuizSettings = {},
): Promise<string> {
  const s = {
    max_attempts: 1,
    time_limit_seconds: 3600,
    shuffle_questions: true,
    shuffle_options: true,
    ...settings,
  };
  const [{ id }] = await sql.unsafe(
    `with l as (
       insert into public.lessons (section_id, title, kind, position, duration_seconds)
       select $1, $2, 'quiz', coalesce(max(position), -1) + 1, 1800 from public.lessons where section_id = $1
       returning id)
     insert into public.quizzes (lesson_id, max_attempts, time_limit_seconds, pass_percent, shuffle_questions,
                                 shuffle_options, reveal, grading)
     select l.id, $3, $4, 60, $5, $6, 'after_submit', 'best' from l
     returning id`,
    [
      exam.sectionId,
      title,
      s.max_attempts,
      s.time_limit_seconds,
      s.shuffle_questions,
      s.shuffle_options,
    ],
  );
  await sql.unsafe(
    `insert into public.quiz_questions (quiz_id, question_id, position)
     select $1, q.id, q.n - 1 from unnest($2::uuid[]) with ordinality q (id, n)`,
    [id, exam.questions],
  );
  return id;
}

/**
 * `attempts` finished attempts at the quiz, set-based, as submit_attempt would have left them:
 * the students in turn (attempt 1 for each, then 2, ...), every question answered, graded against
 * the key, scored. A student's ability (from their id) sets their chance of a right answer (a hash
 * of attempt and question draws it), so items discriminate; a wrong choice answer picks a wrong
 * option.
 */
export async function seedFinishedAttempts(
  sql: Sql,
  exam: Exam,
  quizId: string,
  attempts: number,
  opts: { log?: (line: string) => void } = {},
) {
  await sql.begin(async (tx) => {
    let t = performance.now();
    const step = (label: string) => {
      opts.log?.(`${label} (${((performance.now() - t) / 1000).toFixed(1)}s)`);
      t = performance.now();
    };
    await tx.unsafe(
      `create temporary table exam_attempts on commit drop as
       with s as (select u, k from unnest($2::uuid[]) with ordinality s (u, k)),
            snap as (
              select jsonb_agg(jsonb_build_object('id', q.id, 'kind', q.kind, 'prompt', q.prompt, 'points', q.points,
                       'options', coalesce((select jsonb_agg(jsonb_build_object('id', o.id, 'label', o.label) order by o.position)
                                            from public.question_options o where o.question_id = q.id), '[]'::jsonb))
                     order by qq.position) as questions,
                     sum(q.points) as max_score
              from public.quiz_questions qq join public.questions q on q.id = qq.question_id
              where qq.quiz_id = $1)
       select gen_random_uuid() as id, s.u as user_id, a as number,
              (abs(hashtext(s.u::text)) % 100) / 100.0 as ability,
              now() - make_interval(days => 1, mins => ((s.k * 7 + a * 13) % 600)::int) as started_at,
              snap.questions, snap.max_score
       from generate_series(1, ceil($3::numeric / cardinality($2::uuid[]))::int) a
       cross join s cross join snap
       order by a, s.k limit $3`,
      [quizId, exam.students, attempts],
    );
    await tx.unsafe(`analyze exam_attempts`);
    step("attempts drawn");
    await tx.unsafe(
      `insert into public.quiz_attempts (id, quiz_id, course_id, user_id, number, status, started_at, deadline_at,
                                         submitted_at, max_score, questions)
       select t.id, $1, $2, t.user_id, t.number, 'submitted', t.started_at, t.started_at + interval '1 hour',
              t.started_at + interval '20 minutes', t.max_score, t.questions
       from exam_attempts t`,
      [quizId, exam.courseId],
    );
    step(`${attempts} attempts`);
    await tx.unsafe(
      `insert into public.quiz_answers (attempt_id, quiz_id, course_id, user_id, question_id, kind, position,
                                        option_ids, answer, saved_at, auto_points, correct)
       select t.id, $1, $2, t.user_id, q.id, q.kind, qq.position, opts.ids,
              case q.kind
                when 'multiple_choice' then jsonb_build_object('option_ids',
                  case when r.ok then to_jsonb(k.correct_option_ids) else jsonb_build_array(opts.ids[4]) end)
                when 'short_answer' then jsonb_build_object('text', case when r.ok then 'Forty  Two' else 'forty' end)
                when 'numeric' then jsonb_build_object('value', case when r.ok then 3.14 else 2.71 end)
                else jsonb_build_object('option_id',
                  case when r.ok then k.correct_option_ids[1]
                       else opts.ids[2 + (abs(hashtext(q.id::text || t.id::text)) % (cardinality(opts.ids) - 1))] end)
              end,
              t.started_at + make_interval(mins => qq.position + 1),
              case when r.ok then q.points else 0 end, r.ok
       from exam_attempts t
       cross join public.quiz_questions qq
       join public.questions q on q.id = qq.question_id
       join private.question_keys k on k.question_id = q.id
       cross join lateral (select coalesce(array_agg(o.id order by o.position), '{}') as ids
                           from public.question_options o where o.question_id = q.id) opts
       cross join lateral (select (abs(hashtext(t.id::text || q.id::text)) % 1000) / 1000.0 < 0.25 + 0.6 * t.ability as ok) r
       where qq.quiz_id = $1`,
      [quizId, exam.courseId],
    );
    step("their answers");
    await tx.unsafe(
      `update public.quiz_attempts t
       set score = s.score, percent = round(100 * s.score / t.max_score, 2),
           passed = round(100 * s.score / t.max_score, 2) >= 60, status = 'graded'
       from (select attempt_id, sum(auto_points) as score from public.quiz_answers
             where quiz_id = $1 group by attempt_id) s
       where t.id = s.attempt_id`,
      [quizId],
    );
    step("scored");
  });
  await sql.unsafe(`analyze public.quiz_attempts, public.quiz_answers`);
}

/** Removes an exam's rows (its course, its users and what hangs off them): the smoke test's. */
export async function dropExam(sql: Sql, tag: string) {
  await sql.unsafe(`delete from public.courses where slug = 'bench-exam-${tag}'`);
  await sql.unsafe(`delete from auth.users where email like '%@${tag}.exam.bench.local'`);
}
