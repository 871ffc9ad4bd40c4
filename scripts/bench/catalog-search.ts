// Catalog search: the catalog page's query, as anyone signed in runs it.
import { rpc, type Scenario } from "./scenario.ts";

/** Common words, a two-word query, a typo (corrected to "design") and a two-topic query. */
const searchTerms = [
  "postgres",
  "python course",
  "desing",
  "data security",
  "marketing",
  "react",
];

const searchCourses = rpc(
  "search_courses",
  { q: "text", page_size: "integer" },
  "course_search_result",
);

export default {
  name: "catalog search (search_courses, relevance, 20 rows)",
  call: `supabase.rpc("search_courses", { q, page_size: 20 }, { get: true })`,
  persona: "student",
  request: (_s, i) => searchCourses({ q: searchTerms[i % searchTerms.length], page_size: 20 }),
  notes:
    "`search_courses` runs as its owner (security definer) and selects only published courses " +
    "explicitly, so with RLS it differs from the bypass run only by the role switch. It ranks every " +
    "full-text hit before taking a page: a common word (one in ten bench courses has `postgres` in " +
    "its title) means ranking about a thousand rows, which is most of its time. Typos are corrected " +
    "against the catalog's word list first, so the search stays on its GIN index.",
} satisfies Scenario;
