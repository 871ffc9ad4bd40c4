// The student's dashboard: every course they have, with progress and the next lesson.
import { rpc, type Scenario } from "./scenario.ts";

const myDashboard = rpc("my_dashboard", {}, "record");

export default {
  name: "my dashboard (my_dashboard, 10 courses)",
  call: `supabase.rpc("my_dashboard", undefined, { get: true })`,
  persona: "student",
  request: () => myDashboard({}),
  notes: "`my_dashboard` runs as its owner (security definer) and selects the caller's own rows " +
    "explicitly, so with RLS it differs from the bypass run only by the role switch.",
} satisfies Scenario;
