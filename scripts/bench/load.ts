// What a load scenario is (the exam's: many students at once, not one request at a time), and
// the crowd that runs one: a pool of connections like PostgREST's, each call in its own
// transaction set up the way PostgREST sets it up (./scenario.ts), timed from the moment the
// student sends it (waiting for a free connection included) to its commit.
import { connect, type Sql } from "../../supabase/functions/_shared/db.ts";
import { type Request, rpc, runRequest } from "./scenario.ts";
import { addQuiz, type Exam, type QuizSettings } from "./seed.ts";

/** How a load scenario runs. */
export interface LoadOptions {
  /** The superuser's URL: each call switches to `authenticated` as PostgREST's authenticator does. */
  url: string;
  /** The superuser, for seeding quizzes and checking the database afterwards. */
  admin: Sql;
  exam: Exam;
  /** How many students take part (BENCH_EXAM_STUDENTS: 2,000). */
  students: number;
  /** Connections in the pool (BENCH_EXAM_POOL: 10, PostgREST's db-pool default). */
  pool: number;
  /** Divides the exam's clock: 1 = real time (BENCH_EXAM_SPEED). */
  speed: number;
  /** Attempts at the item statistics' quiz (BENCH_EXAM_ATTEMPTS: 10,000). */
  attempts: number;
  /** Timed runs of a single call (BENCH_ITERATIONS). */
  iterations: number;
  log: (line: string) => void;
}

/** One call's numbers over a run: latency from send to commit, in ms. */
export interface CallStats {
  call: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** p95 of the statement alone (without waiting for a connection and the transaction's setup). */
  statementP95: number;
  /** Calls answered per second while this call's phase ran (throughput runs). */
  perSecond?: number;
  /** This call's p95 target, in ms. */
  targetP95?: number;
}

/** A figure a scenario reports, with its target when it has one. */
export interface Figure {
  label: string;
  value: string;
  target?: string;
  met?: boolean;
}

export interface LoadResult {
  calls: CallStats[];
  figures: Figure[];
  /** Distinct error messages seen (the first few). */
  errorSamples: string[];
}

/** A scenario that sends many students' calls at once. */
export interface LoadScenario {
  /** The section's title in docs/BENCHMARKS.md. */
  name: string;
  /** What the students (or the staff) do, as a frontend writes it (markdown). */
  call: string;
  /** How it runs and what its numbers mean (markdown, one paragraph). */
  notes: string;
  run: (opts: LoadOptions) => Promise<LoadResult>;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Every call of a scenario goes through a crowd: its pool, its timings, its errors. */
export class Crowd {
  readonly sql: Sql;
  private times = new Map<string, { total: number[]; statement: number[]; errors: number }>();
  private errorSet = new Set<string>();

  constructor(private opts: LoadOptions) {
    this.sql = connect(opts.url, { max: opts.pool });
  }

  /** Opens every connection of the pool first, as PostgREST keeps its pool open. */
  async warm() {
    await Promise.all(
      Array.from(
        { length: this.opts.pool },
        () => this.sql.begin((tx) => tx`select pg_sleep(0.05)`),
      ),
    );
  }

  /**
   * Sends one call as `user` (their token's claims): waits for a connection, then runs it in a
   * read-write transaction as PostgREST does. Returns the response body, or undefined after an
   * error (counted, and its message kept).
   */
  async send(label: string, user: string, req: Request): Promise<unknown> {
    const t = this.times.get(label) ?? { total: [], statement: [], errors: 0 };
    this.times.set(label, t);
    const claims = this.opts.exam.claims.get(user);
    if (!claims) throw new Error(`no claims for ${user}`);
    const t0 = performance.now();
    try {
      const r = await this.sql.begin((tx) => runRequest(tx, req, claims, true));
      t.total.push(performance.now() - t0);
      t.statement.push(r.ms);
      return r.body;
    } catch (e) {
      t.errors++;
      const err = e as { message?: string; detail?: string; code?: string };
      if (this.errorSet.size < 5) {
        this.errorSet.add(`${label}: ${err.code ?? ""} ${err.message ?? e} ${err.detail ?? ""}`);
      }
      return undefined;
    }
  }

  /** The numbers of one call so far. */
  stats(label: string, extra: Partial<CallStats> = {}): CallStats {
    const t = this.times.get(label) ?? { total: [], statement: [], errors: 0 };
    const total = [...t.total].sort((a, b) => a - b);
    const statement = [...t.statement].sort((a, b) => a - b);
    return {
      call: label,
      count: total.length + t.errors,
      errors: t.errors,
      p50: percentile(total, 0.5),
      p95: percentile(total, 0.95),
      p99: percentile(total, 0.99),
      max: total[total.length - 1] ?? NaN,
      statementP95: percentile(statement, 0.95),
      ...extra,
    };
  }

  errorSamples(): string[] {
    return [...this.errorSet];
  }

  async end() {
    await this.sql.end();
  }
}

/** A deterministic pseudo-random sequence (mulberry32), so runs draw the same schedule. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A question as the attempt's snapshot shows it to the student. */
export interface SnapshotQuestion {
  id: string;
  kind: string;
  options: { id: string; label: string }[];
}

/** An answer a student might give, of the right shape for the question (right or wrong). */
export function answerFor(q: SnapshotQuestion, rnd: () => number): unknown {
  const pick = () => q.options[Math.floor(rnd() * q.options.length)].id;
  switch (q.kind) {
    case "multiple_choice":
      return { option_ids: [...new Set([pick(), pick()])] };
    case "short_answer":
      return { text: rnd() < 0.6 ? "forty two" : "forty" };
    case "numeric":
      return { value: rnd() < 0.6 ? 3.14 : 2.71 };
    case "essay":
      return { text: "An essay." };
    default:
      return { option_id: pick() };
  }
}

/** The attempt row start_attempt answers with (PostgREST's body: one row). */
export interface AttemptRow {
  id: string;
  user_id: string;
  questions: SnapshotQuestion[];
}

export const attemptOf = (body: unknown): AttemptRow | undefined =>
  Array.isArray(body) ? body[0] as AttemptRow : undefined;

/** Attempts in the database per student at a quiz: how many students, attempts and duplicates. */
export async function attemptCounts(sql: Sql, quizId: string) {
  const [r] = await sql`
    select count(*)::int as attempts, count(distinct user_id)::int as students,
           (select count(*)::int from (select user_id from public.quiz_attempts where quiz_id = ${quizId}
                                       group by user_id having count(*) > 1) d) as duplicated,
           (select count(*)::int from public.quiz_answers where quiz_id = ${quizId}) as answers,
           count(*) filter (where status <> 'in_progress')::int as finished
    from public.quiz_attempts where quiz_id = ${quizId}`;
  return r as {
    attempts: number;
    students: number;
    duplicated: number;
    answers: number;
    finished: number;
  };
}

/** The exam's calls, as supabase-js sends them (POST /rpc/<fn> with a JSON body). */
export const calls = {
  start: rpc("start_attempt", { quiz_id: "uuid" }, "quiz_attempts", { post: true }),
  save: rpc(
    "save_answer",
    { attempt_id: "uuid", question_id: "uuid", answer: "jsonb" },
    "save_answer",
    { post: true, scalar: true },
  ),
  submit: rpc("submit_attempt", { attempt_id: "uuid" }, "submit_attempt", {
    post: true,
    scalar: true,
  }),
  itemStats: rpc("quiz_item_stats", { quiz_id: "uuid" }, "record", { post: true }),
};

/** The machine's 1-minute load average (what else was running shows here). */
export async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
}

/** The figure for errors: none is the target. */
export const noErrors = (crowd: Crowd, labels: string[]): Figure => {
  const errors = labels.reduce((n, l) => n + crowd.stats(l).errors, 0);
  return { label: "errors", value: String(errors), target: "0", met: errors === 0 };
};

/** A scenario's start: a fresh quiz, the students taking part, a crowd with its pool open. */
export async function openExam(o: LoadOptions, title: string, settings?: QuizSettings) {
  const quiz = await addQuiz(o.admin, o.exam, title, settings);
  const crowd = new Crowd(o);
  await crowd.warm();
  return { quiz, students: o.exam.students.slice(0, o.students), crowd };
}

/** A scenario's end: the machine's load, the pool closed, the quiz's attempts counted. */
export async function closeExam(o: LoadOptions, crowd: Crowd, quiz: string) {
  const load = await loadAverage();
  await crowd.end();
  return { load, db: await attemptCounts(o.admin, quiz) };
}
