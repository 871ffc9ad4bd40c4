// Opening a lesson: its content row, which RLS shows only once the lesson is open for the caller.
import { type Scenario, select } from "./scenario.ts";

const lessonContents = select("lesson_contents", ["body", "video_url"], { eq: ["lesson_id"] });

export default {
  name: "lesson content, entitled student (lesson_contents)",
  call:
    `supabase.from("lesson_contents").select("body, video_url").eq("lesson_id", id).maybeSingle()`,
  persona: "student",
  request: (s) => lessonContents([s.lessonId]),
  notes:
    "A read by lesson id; RLS checks the row: a preview of a public course (denormalized flags on " +
    "the row), or a lesson open for the caller (access to the course, then the lesson's state).",
} satisfies Scenario;
