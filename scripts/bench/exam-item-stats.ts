// Item statistics of a quiz many students took: what the course's staff open after the exam.
import { calls, Crowd, loadAverage, type LoadScenario } from "./load.ts";
import { addQuiz, seedFinishedAttempts } from "./seed.ts";

const targetP95 = 50;
const warmup = 10;
/** Calls timed right after a change (each recomputes the statistics). */
const coldRuns = 10;
const cold = "quiz_item_stats, first call after a change";

export default {
  name: "item statistics of a quiz with 10,000 attempts",
  call: '`supabase.rpc("quiz_item_stats", { quiz_id })`, as the course\'s instructor',
  notes: "The quiz's finished attempts are written set-based in SQL (BENCH_EXAM_ATTEMPTS, " +
    "10,000: the exam's students in turn, several attempts each; ten answers each, graded; a " +
    "student's ability sets their chance of a right answer, so items discriminate). Then the " +
    "instructor asks for the statistics again and again, one call at a time. Computing them reads " +
    "every answer of the quiz's finished attempts (100,000 rows here), joined to its attempt (the " +
    "score) and its question (the points), and aggregates them per question and per chosen option: " +
    "a few hundred ms on 2 shared cores, growing with the attempts. So they are cached per quiz " +
    "and recomputed only when the quiz's finished attempts changed (a trigger keeps each " +
    "attempt's `updated_at`; each call compares the count of finished attempts and the sum of " +
    "their stamps, read from an index, with the cached ones), and a submit writes no shared row. " +
    "The `quiz_item_stats` row times calls answered from the cache; the `first call after a " +
    "change` row times a call right after one attempt changed (as grading or regrading it would " +
    "change it): that call recomputes and stores the statistics, so it costs what computing them " +
    "costs, once per change.",
  async run(o) {
    const quiz = await addQuiz(o.admin, o.exam, "Item statistics", {
      max_attempts: null,
      shuffle_questions: false,
      shuffle_options: false,
    });
    const t = performance.now();
    await seedFinishedAttempts(o.admin, o.exam, quiz, o.attempts, { log: o.log });
    o.log(`${o.attempts} finished attempts (${((performance.now() - t) / 1000).toFixed(1)}s)`);
    const crowd = new Crowd({ ...o, pool: 1 });
    let rows: { answered: number }[] = [];
    for (let i = 0; i < warmup; i++) {
      await crowd.send("warm-up", o.exam.instructor, calls.itemStats({ quiz_id: quiz }));
    }
    for (let i = 0; i < o.iterations; i++) {
      rows = (await crowd.send(
        "quiz_item_stats",
        o.exam.instructor,
        calls.itemStats({ quiz_id: quiz }),
      ) ??
        []) as { answered: number }[];
    }
    // The first call after a change: one attempt is touched (as grading or regrading it would),
    // then the call recomputes and stores the statistics.
    let fresh: unknown = undefined;
    for (let i = 0; i < Math.min(coldRuns, o.iterations); i++) {
      await o.admin.unsafe(
        `update public.quiz_attempts set submitted_at = submitted_at
         where id = (select id from public.quiz_attempts where quiz_id = $1 order by id limit 1)`,
        [quiz],
      );
      fresh = await crowd.send(cold, o.exam.instructor, calls.itemStats({ quiz_id: quiz }));
    }
    const cached = await crowd.send("check", o.exam.instructor, calls.itemStats({ quiz_id: quiz }));
    const load = await loadAverage();
    await crowd.end();
    const stats = crowd.stats("quiz_item_stats", { targetP95 });
    const coldStats = crowd.stats(cold);
    const answered = rows.reduce((n, r) => n + r.answered, 0);
    const q = o.exam.questions.length;
    return {
      calls: [stats, coldStats],
      figures: [
        {
          label: "quiz_item_stats p95",
          value: `${stats.p95.toFixed(1)} ms`,
          target: `< ${targetP95} ms`,
          met: stats.p95 < targetP95 && stats.errors === 0,
        },
        {
          label: "questions in the answer, answers counted",
          value: `${rows.length}, ${answered}`,
          target: `${q}, ${o.attempts * q}`,
          met: rows.length === q && answered === o.attempts * q,
        },
        {
          label: "the cached answer equals the one just computed",
          value: JSON.stringify(cached) === JSON.stringify(fresh) ? "yes" : "no",
          target: "yes",
          met: fresh !== undefined && JSON.stringify(cached) === JSON.stringify(fresh),
        },
        { label: "machine load average at the end", value: load },
      ],
      errorSamples: crowd.errorSamples(),
    };
  },
} satisfies LoadScenario;
