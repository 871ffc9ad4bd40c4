// How a docs/API.md recipe states its persona and its outputs (scripts/lib/recipes.ts), and how
// the suite compares them with what it printed (scripts/lib/recipe-suite.ts).
import assert from "node:assert/strict";
import { checkRecipe } from "./recipe-suite.ts";
import {
  apiDoc,
  isModule,
  matchesExpectation,
  parseRecipe,
  recipeBlocks,
  type StackFacts,
} from "./recipes.ts";

const notSetUp: StackFacts = { stripe: false, zoom: false };

Deno.test("recipes: the first line names the persona, by email, or anon", () => {
  const sam = parseRecipe(
    `// As Sam, a student (sam@example.com).\nconsole.log(1); // 1\n`,
  );
  assert.deepEqual(sam.persona, {
    label: "Sam, a student (sam@example.com)",
    email: "sam@example.com",
  });
  assert.deepEqual(parseRecipe(`// As anon.\nconsole.log(1); // 1\n`).persona, {
    label: "anon",
    email: null,
  });
  assert.throws(() => parseRecipe(`import { supabase } from "./client.ts";\n`), /first line/);
  assert.throws(() => parseRecipe(`// As Sam, a student.\nconsole.log(1); // 1\n`), /email/);
});

Deno.test("recipes: a trailing comment on a print states its output, at the call's line and column", () => {
  const { expectations } = parseRecipe([
    "// As anon.",
    "const x = 1; // not a print: ignored",
    "console.log(x); // 1",
    "if (x) console.warn(",
    "  x,",
    "  'a',",
    "); // 1 a",
    "console.log(x);",
    "location.assign(`/x`); // /x",
    "for (const y of [1]) {",
    "  await console.info(y); // 1",
    "}",
    "[1].map((y) => console.log(y)); // a callback's print is not stated",
  ].join("\n"));
  assert.deepEqual(
    expectations.map((e) => [e.line, e.column, e.text, e.when]),
    [
      [3, 9, "1", null],
      [4, 16, "1 a", null],
      [9, 10, "/x", null],
      [11, 17, "1", null],
    ],
  );
});

Deno.test("recipes: conditions, and alternatives for stacks with and without Stripe", () => {
  const { expectations } = parseRecipe([
    "// As anon.",
    "console.log(1); // 503 stripe_not_configured (when Stripe is not set up), or 403 42501 (when Stripe is set up)",
    "console.log(2); // https://… (when Zoom is set up)",
  ].join("\n"));
  assert.deepEqual(expectations.map((e) => [e.line, e.text, e.when]), [
    [2, "503 stripe_not_configured", "Stripe is not set up"],
    [2, "403 42501", "Stripe is set up"],
    [3, "https://…", "Zoom is set up"],
  ]);
  assert.throws(
    () => parseRecipe("// As anon.\nconsole.log(1); // 1 (when it rains)\n"),
    /unknown condition/,
  );
  assert.throws(() => parseRecipe("// As anon.\nconsole.log(1);\n"), /states no output/);
});

Deno.test("recipes: … stands for any text; spaces are normalized", () => {
  assert.ok(matchesExpectation("403 42501", "403 42501"));
  assert.ok(!matchesExpectation("403 42501", "401 42501"));
  assert.ok(matchesExpectation("enrolled …", "enrolled 2a5c-…"));
  assert.ok(matchesExpectation("… check your email", "d305-21 check your email"));
  assert.ok(matchesExpectation("a (b) [c] $1", "a  (b) [c] $1 "));
  assert.ok(!matchesExpectation("a.c", "abc"), "no regular expressions");
});

Deno.test("recipes: a stated output must be printed and match; a throw fails", () => {
  const parsed = parseRecipe([
    "// As anon.",
    "console.log(1); // 1",
    "console.log(2); // 503 x (when Stripe is not set up), or 403 y (when Stripe is set up)",
  ].join("\n"));
  const printed = (texts: [number, string][]) =>
    texts.map(([line, text]) => ({ line, column: 9, text }));
  assert.equal(
    checkRecipe(parsed, { outputs: printed([[2, "1"], [3, "503 x"]]), error: null }, notSetUp, 1)
      .ok,
    true,
  );
  const set = { stripe: true, zoom: false };
  assert.equal(
    checkRecipe(parsed, { outputs: printed([[2, "1"], [3, "403 y"]]), error: null }, set, 1).ok,
    true,
  );
  const wrong = checkRecipe(
    parsed,
    { outputs: printed([[2, "2"], [3, "403 y"]]), error: null },
    notSetUp,
    10,
  );
  assert.equal(wrong.ok, false);
  assert.match(wrong.messages.join("\n"), /docs\/API\.md:11 .*\n\s+expected: 1\n\s+printed: {2}2/);
  assert.match(wrong.messages.join("\n"), /docs\/API\.md:12 .*expected: 503 x/s);
  const missing = checkRecipe(parsed, { outputs: [], error: "boom" }, notSetUp, 1);
  assert.match(missing.messages.join("\n"), /threw: boom/);
  assert.match(missing.messages.join("\n"), /not reached/);
});

Deno.test("recipes: every ```ts block of docs/API.md but the client names its persona and states an output", async () => {
  const blocks = recipeBlocks(await Deno.readTextFile(apiDoc));
  assert.deepEqual(blocks.filter(isModule).map((b) => b.name), ["client.ts"]);
  const recipes = blocks.filter((b) => !isModule(b));
  assert.ok(recipes.length >= 30, `${recipes.length} recipes`);
  for (const b of recipes) {
    assert.doesNotThrow(() => parseRecipe(b.code), `docs/API.md:${b.line} (${b.heading})`);
  }
});
