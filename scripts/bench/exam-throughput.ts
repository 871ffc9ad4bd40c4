// save_answer and submit_attempt as fast as the pool takes them, with the exam's whole crowd.
import {
  answerFor,
  attemptOf,
  type AttemptRow,
  calls,
  closeExam,
  type LoadScenario,
  noErrors,
  openExam,
  random,
} from "./load.ts";

export default {
  name: "save_answer and submit_attempt throughput",
  call: '`supabase.rpc("save_answer", ...)` for every question, then ' +
    '`supabase.rpc("submit_attempt", { attempt_id })`, every student flat out',
  notes: "Every student has started (not timed here). Then each one saves all their answers " +
    "back to back, every student at once (one call in flight per student, as a client awaits " +
    "each), and once every answer is in, every student submits at once. Throughput is calls " +
    "answered per second over the phase; latency is mostly the wait for a connection with the " +
    "whole crowd queued, so the statement's own p95 is given too.",
  async run(o) {
    const { quiz, students, crowd } = await openExam(o, "Throughput");
    const attempts = new Map<string, AttemptRow>();
    await Promise.all(students.map(async (u) => {
      const a = attemptOf(await crowd.send("start_attempt", u, calls.start({ quiz_id: quiz })));
      if (a) attempts.set(u, a);
    }));
    let t0 = performance.now();
    await Promise.all([...attempts].map(async ([user, a], i) => {
      const rnd = random(i + 7);
      for (const q of a.questions) {
        await crowd.send(
          "save_answer",
          user,
          calls.save({ attempt_id: a.id, question_id: q.id, answer: answerFor(q, rnd) }),
        );
      }
    }));
    const saveSeconds = (performance.now() - t0) / 1000;
    const [{ saved }] = await o.admin`
      select count(*)::int as saved from public.quiz_answers where quiz_id = ${quiz} and answer is not null`;
    t0 = performance.now();
    const results = await Promise.all(
      [...attempts].map(([user, a]) =>
        crowd.send("submit_attempt", user, calls.submit({ attempt_id: a.id })) as Promise<
          { status: string } | undefined
        >
      ),
    );
    const submitSeconds = (performance.now() - t0) / 1000;
    const { load, db } = await closeExam(o, crowd, quiz);
    const q = o.exam.questions.length;
    const graded = results.filter((r) => r?.status === "graded").length;
    const save = crowd.stats("save_answer", { perSecond: students.length * q / saveSeconds });
    const submit = crowd.stats("submit_attempt", { perSecond: students.length / submitSeconds });
    return {
      calls: [save, submit],
      figures: [
        {
          label: `save_answer: ${students.length * q} calls`,
          value: `${saveSeconds.toFixed(2)} s, ${save.perSecond!.toFixed(0)} calls/s`,
        },
        {
          label: `submit_attempt: ${students.length} calls`,
          value: `${submitSeconds.toFixed(2)} s, ${submit.perSecond!.toFixed(0)} calls/s`,
        },
        noErrors(crowd, ["start_attempt", "save_answer", "submit_attempt"]),
        {
          label: "answers saved in the database, attempts finished, graded results",
          value: `${saved}, ${db.finished}, ${graded}`,
          target: `${students.length * q}, ${students.length}, ${students.length}`,
          met: saved === students.length * q && db.finished === students.length &&
            graded === students.length,
        },
        { label: "machine load average at the end", value: load },
      ],
      errorSamples: crowd.errorSamples(),
    };
  },
} satisfies LoadScenario;
