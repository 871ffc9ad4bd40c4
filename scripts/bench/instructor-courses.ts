// An instructor's course list, newest change first: a table read, as the teaching pages make it.
import { type Scenario, select } from "./scenario.ts";

const courses = select("courses", ["id", "title", "status", "rating_avg", "rating_count"], {
  eq: ["owner_id"],
  order: ["updated_at", "DESC"],
  limit: 50,
});

export default {
  name: "instructor's course list (courses)",
  call: `supabase.from("courses").select("id, title, status, rating_avg, rating_count")` +
    `.eq("owner_id", me).order("updated_at", { ascending: false }).limit(50)`,
  persona: "instructor",
  request: (s) => courses([s.instructor]),
  notes:
    "A read on `owner_id`; RLS checks each row: the caller's own course, a published one, one they " +
    "have or teach, or any for an admin.",
} satisfies Scenario;
