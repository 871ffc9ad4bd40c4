// supabase/config.toml's [api].schemas (what PostgREST exposes) against what
// supabase/tests/database/01_security.test.sql treats as exposed: `public` is the one schema of
// ours the API roles may use, so it is the one schema of ours to expose; graphql_public is
// Supabase's own. `private` (policy helpers, the token hook) and the pgTAP helpers never are.
import assert from "node:assert/strict";
import { readConfigToml } from "./lib/functions-config.ts";

/** Supabase's schemas that a project may expose; the pgTAP meta-tests do not cover them. */
const platformSchemas = new Set(["graphql_public"]);

Deno.test("config.toml [api].schemas exposes public (and graphql_public) only", () => {
  const api = (readConfigToml().api ?? {}) as { schemas?: string[] };
  const schemas = api.schemas ?? ["public"];
  assert.deepEqual(schemas.filter((s) => !platformSchemas.has(s)), ["public"]);
  for (const hidden of ["private", "tests", "auth", "storage", "realtime", "extensions", "cron"]) {
    assert.ok(!schemas.includes(hidden), `${hidden} must not be exposed`);
  }
});
