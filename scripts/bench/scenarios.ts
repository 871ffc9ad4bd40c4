// Every bench scenario, one module each, in report order. Its id is its file name.
import catalogSearch from "./catalog-search.ts";
import courseOutline from "./course-outline.ts";
import dashboard from "./dashboard.ts";
import instructorCourses from "./instructor-courses.ts";
import lessonContent from "./lesson-content.ts";
import type { Scenario } from "./scenario.ts";

export const scenarios: Record<string, Scenario> = {
  "catalog-search": catalogSearch,
  "course-outline": courseOutline,
  "lesson-content": lessonContent,
  "dashboard": dashboard,
  "instructor-courses": instructorCourses,
};
