// The worst case: every student presses "start" at the same instant, and one in ten twice.
import { attemptOf, calls, closeExam, type LoadScenario, noErrors, openExam } from "./load.ts";

const targetSeconds = 10;

export default {
  name: "worst case: every start at the same instant",
  call: '`supabase.rpc("start_attempt", { quiz_id })` from every student at once',
  notes: "All the calls are sent in the same instant and queue for the pool's connections, as " +
    "PostgREST queues requests for its pool (their latency is mostly that wait: PostgREST " +
    "answers 504 to a request that waits longer than its db-pool-acquisition-timeout, 10 s by " +
    "default). Every tenth student double-clicks: their second call is sent right after the " +
    "first, so both usually run at the same time on two connections, and must get the same " +
    "attempt (the lock per student and quiz). The database is then checked: one attempt per " +
    "student with all its questions, no student with two.",
  async run(o) {
    const { quiz, students, crowd } = await openExam(o, "Start burst");
    const sends = students.flatMap((u, i) => (i % 10 === 9 ? [u, u] : [u]));
    const firstStarted = new Map<string, number>();
    const ids = new Map<string, Set<string>>();
    const t0 = performance.now();
    await Promise.all(sends.map(async (user) => {
      const attempt = attemptOf(
        await crowd.send("start_attempt", user, calls.start({ quiz_id: quiz })),
      );
      if (!attempt) return;
      const at = performance.now() - t0;
      if (!firstStarted.has(user) || firstStarted.get(user)! > at) firstStarted.set(user, at);
      ids.set(user, (ids.get(user) ?? new Set()).add(attempt.id));
    }));
    const allSent = (performance.now() - t0) / 1000;
    const allStarted = Math.max(...firstStarted.values()) / 1000;
    const { load, db } = await closeExam(o, crowd, quiz);
    const split = [...ids.values()].filter((s) => s.size > 1).length;
    const q = o.exam.questions.length;
    const stats = crowd.stats("start_attempt", { perSecond: sends.length / allSent });
    return {
      calls: [stats],
      figures: [
        {
          label: `time until all ${students.length} students have started`,
          value: `${allStarted.toFixed(2)} s`,
          target: `< ${targetSeconds} s`,
          met: firstStarted.size === students.length && allStarted < targetSeconds,
        },
        {
          label: `calls sent (${sends.length - students.length} double clicks), answered`,
          value: `${sends.length}, in ${allSent.toFixed(2)} s`,
        },
        noErrors(crowd, ["start_attempt"]),
        {
          label: "attempts in the database, students with two, answer rows",
          value: `${db.attempts}, ${db.duplicated}, ${db.answers}`,
          target: `${students.length}, 0, ${students.length * q}`,
          met: db.attempts === students.length && db.duplicated === 0 &&
            db.answers === students.length * q,
        },
        {
          label: "double clicks answered with two different attempts",
          value: String(split),
          target: "0",
          met: split === 0,
        },
        { label: "machine load average at the end", value: load },
      ],
      errorSamples: crowd.errorSamples(),
    };
  },
} satisfies LoadScenario;
