// The synchronized exam: every student starts the same quiz within a minute, saves an answer
// every 30 seconds and submits 30 seconds after the last one.
import {
  answerFor,
  attemptOf,
  calls,
  closeExam,
  type LoadScenario,
  noErrors,
  openExam,
  random,
  sleep,
} from "./load.ts";

/** The exam's clock (divided by BENCH_EXAM_SPEED): the start window and the pace of answers. */
const startWindowMs = 60_000;
const answerEveryMs = 30_000;
const targetP95 = 100;

export default {
  name: "synchronized exam",
  call: '`supabase.rpc("start_attempt", { quiz_id })`, then per question ' +
    '`supabase.rpc("save_answer", { attempt_id, question_id, answer })`, then ' +
    '`supabase.rpc("submit_attempt", { attempt_id })`',
  notes: "Each student starts at a random moment of the first 60 s (a seeded draw: arrivals " +
    "bunch up as they do), then saves one answer every 30 s after their start, one per question " +
    "in the order their attempt shows them, and submits 30 s after the last (every answer " +
    "auto-graded; a pass completes the quiz lesson). The quiz draws all ten questions, shuffles " +
    "questions and options and allows one attempt. Latency runs from the moment a student sends " +
    "the call, waiting for a free pool connection included, to the commit.",
  async run(o) {
    const { quiz, students, crowd } = await openExam(o, "Synchronized exam");
    const draw = random(2026);
    const window = startWindowMs / o.speed;
    const every = answerEveryMs / o.speed;
    const starts = students.map(() => draw() * window);
    const t0 = performance.now() + 50;
    const outcomes = await Promise.all(students.map(async (user, i) => {
      const rnd = random(i + 1);
      const at = t0 + starts[i];
      await sleep(at - performance.now());
      const attempt = attemptOf(
        await crowd.send("start_attempt", user, calls.start({ quiz_id: quiz })),
      );
      if (!attempt) return undefined;
      for (const [k, q] of attempt.questions.entries()) {
        await sleep(at + (k + 1) * every - performance.now());
        await crowd.send(
          "save_answer",
          user,
          calls.save({ attempt_id: attempt.id, question_id: q.id, answer: answerFor(q, rnd) }),
        );
      }
      await sleep(at + (attempt.questions.length + 1) * every - performance.now());
      return await crowd.send("submit_attempt", user, calls.submit({ attempt_id: attempt.id })) as
        | { status: string }
        | undefined;
    }));
    const seconds = (performance.now() - t0) / 1000;
    const { load, db } = await closeExam(o, crowd, quiz);
    const graded = outcomes.filter((r) => r?.status === "graded").length;
    const labels = ["start_attempt", "save_answer", "submit_attempt"];
    const stats = labels.map((l) => crowd.stats(l, { targetP95 }));
    return {
      calls: stats,
      figures: [
        ...stats.map((s) => ({
          label: `${s.call} p95`,
          value: `${s.p95.toFixed(1)} ms`,
          target: `< ${targetP95} ms`,
          met: s.p95 < targetP95,
        })),
        noErrors(crowd, labels),
        {
          label: "attempts in the database (one per student), finished",
          value: `${db.attempts} (${db.duplicated} students with two), ${db.finished}`,
          target: `${students.length} (0), ${students.length}`,
          met: db.attempts === students.length && db.duplicated === 0 &&
            db.finished === students.length,
        },
        {
          label: "submits answered with a graded result",
          value: String(graded),
          target: String(students.length),
          met: graded === students.length,
        },
        { label: "run time (exam clock / BENCH_EXAM_SPEED)", value: `${seconds.toFixed(0)} s` },
        { label: "machine load average at the end", value: load },
      ],
      errorSamples: crowd.errorSamples(),
    };
  },
} satisfies LoadScenario;
