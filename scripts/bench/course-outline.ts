// The course page's outline: sections and lessons with, for the caller, when each opens and its
// state. Frontends call the RPC (docs/API.md, "Open a course page"), never the tables.
import { rpc, type Scenario } from "./scenario.ts";

const courseOutline = rpc("course_outline", { course_id: "uuid" }, "record");

export default {
  name: "course outline (course_outline, 15 lessons)",
  call: `supabase.rpc("course_outline", { course_id }, { get: true })`,
  persona: "student",
  request: (s) => courseOutline({ course_id: s.courseId }),
  notes:
    "`course_outline` runs as its owner (security definer): it checks that the caller may see the " +
    "course, then reads every lesson's opening date and state for the caller from one " +
    "`private.lesson_states()` call (drip and prerequisites), with their completion joined in.",
} satisfies Scenario;
