// Every bench scenario, one module each, in report order. Its id is its file name. `scenarios`
// time one request at a time; `loads` send many students' calls at once (the exam day).
import catalogSearch from "./catalog-search.ts";
import courseOutline from "./course-outline.ts";
import dashboard from "./dashboard.ts";
import examItemStats from "./exam-item-stats.ts";
import examStartBurst from "./exam-start-burst.ts";
import examSync from "./exam-sync.ts";
import examThroughput from "./exam-throughput.ts";
import instructorCourses from "./instructor-courses.ts";
import lessonContent from "./lesson-content.ts";
import type { LoadScenario } from "./load.ts";
import type { Scenario } from "./scenario.ts";

export const scenarios: Record<string, Scenario> = {
  "catalog-search": catalogSearch,
  "course-outline": courseOutline,
  "lesson-content": lessonContent,
  "dashboard": dashboard,
  "instructor-courses": instructorCourses,
};

export const loads: Record<string, LoadScenario> = {
  "exam-sync": examSync,
  "exam-start-burst": examStartBurst,
  "exam-throughput": examThroughput,
  "exam-item-stats": examItemStats,
};
