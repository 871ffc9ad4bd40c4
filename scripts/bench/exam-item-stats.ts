// Item statistics of a quiz many students took: what the course's staff open after the exam.
import { calls, Crowd, loadAverage, type LoadScenario } from "./load.ts";
import { addQuiz, seedFinishedAttempts } from "./seed.ts";

const targetP95 = 50;
const warmup = 10;

export default {
  name: "item statistics of a quiz with 10,000 attempts",
  call: '`supabase.rpc("quiz_item_stats", { quiz_id })`, as the course\'s instructor',
  notes: "The quiz's finished attempts are written set-based in SQL (BENCH_EXAM_ATTEMPTS, " +
    "10,000: the exam's students in turn, several attempts each; ten answers each, graded; a " +
    "student's ability sets their chance of a right answer, so items discriminate). Then the " +
    "instructor asks for the statistics again and again, one call at a time. Each call reads " +
    "every answer of the quiz's finished attempts (100,000 rows here), joined to its attempt (the " +
    "score) and its question (the points), and aggregates them per question and per chosen " +
    "option, so its time grows with the attempts: on 2 shared cores that pass alone takes a few " +
    "hundred ms. Under 50 ms needs the sums kept as attempts finish (per question: count, full " +
    "marks, the correlation's sums; per option: choices), which every submit of an exam would " +
    "update on the same few rows, or a snapshot per quiz refreshed when attempts change: a " +
    "design choice, not made here.",
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
    const load = await loadAverage();
    await crowd.end();
    const stats = crowd.stats("quiz_item_stats", { targetP95 });
    const answered = rows.reduce((n, r) => n + r.answered, 0);
    const q = o.exam.questions.length;
    return {
      calls: [stats],
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
        { label: "machine load average at the end", value: load },
      ],
      errorSamples: crowd.errorSamples(),
    };
  },
} satisfies LoadScenario;
