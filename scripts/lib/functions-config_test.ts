import assert from "node:assert/strict";
import { listFunctions, parseDotenv } from "./functions-config.ts";

Deno.test("parseDotenv: quotes, comments, export and escapes", () => {
  const env = parseDotenv([
    "# comment",
    "A=1",
    "export B = two words # trailing",
    `C="multi\\nline"`,
    "D='single # kept'",
    "not a line",
    "",
  ].join("\n"));
  assert.deepEqual(env, { A: "1", B: "two words", C: "multi\nline", D: "single # kept" });
});

Deno.test("listFunctions: reads verify_jwt from config.toml and skips _shared", () => {
  const fns = listFunctions();
  const health = fns.find((f) => f.name === "health");
  assert.ok(health);
  assert.deepEqual(
    fns.filter((f) => f.verifyJwt).map((f) => f.name),
    [],
    "verify_jwt is off for every function: each authenticates its callers (_shared/auth.ts)",
  );
  assert.match(health.entrypoint, /supabase\/functions\/health\/index\.ts$/);
  assert.ok(!fns.some((f) => f.name.startsWith("_")));
});
