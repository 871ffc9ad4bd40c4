// The functions' docs and shape, checked against their code (the checkers: lib/function-docs.ts).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { handledStripeEvents } from "../supabase/functions/_shared/stripe.ts";
import { handledZoomEvents } from "../supabase/functions/zoom-webhook/events.ts";
import {
  envProblems,
  envReadProblems,
  envSections,
  importProblems,
  listProblems,
  markedList,
  type SourceFile,
  sqlCronJobs,
  sqlStripeEvents,
} from "./lib/function-docs.ts";
import { listFunctions } from "./lib/functions-config.ts";
import { functionsDir, root, supabaseDir } from "./lib/paths.ts";

const read = (path: string) => readFileSync(path, "utf8");

/** Every TypeScript file under supabase/functions but the generated types. */
function functionSources(): SourceFile[] {
  return readdirSync(functionsDir, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".ts") && !p.endsWith("database.types.ts"))
    .map((p) => ({ path: p, text: read(join(functionsDir, p)) }));
}

Deno.test(".env.example documents exactly the variables the functions' env schemas read", async () => {
  const reads: Record<string, string[]> = {};
  for (const fn of listFunctions()) {
    const module = await import(pathToFileURL(fn.entrypoint).href);
    const schema = module.default?.envSchema;
    assert.ok(
      schema?.shape,
      `${relative(root, fn.entrypoint)}: its default export is lazyHandler's (_shared/handler.ts)`,
    );
    reads[fn.name] = Object.keys(schema.shape);
  }
  assert.ok(Object.keys(reads).length >= 10, "every function was found");
  const secrets = envSections(read(join(root, ".env.example")))
    .find((s) => s.title.startsWith("Edge function secrets"));
  assert.ok(secrets, ".env.example has its Edge function secrets section");
  assert.deepEqual(envProblems(secrets.text, reads), []);
});

Deno.test("functions read env only through their schema, and import only _shared/ and their own folder", () => {
  const files = functionSources();
  assert.ok(files.some((f) => f.path === "checkout/index.ts"), "the functions' code was read");
  assert.deepEqual([...importProblems(files), ...envReadProblems(files)], []);
});

Deno.test("the README's Stripe events to enable are the ones stripe-webhook handles", () => {
  const readme = markedList(read(join(root, "README.md")), "stripe-events");
  assert.deepEqual(listProblems(readme, handledStripeEvents, "README"), []);
});

/** Every migration's SQL, in order. */
function migrationsSql(): string {
  const dir = join(supabaseDir, "migrations");
  return readdirSync(dir).filter((f) => f.endsWith(".sql")).sort().map((f) => read(join(dir, f)))
    .join("\n");
}

const operations = () => read(join(root, "docs", "OPERATIONS.md"));

Deno.test("docs/OPERATIONS.md: the functions to deploy are every function of supabase/functions", () => {
  const names = listFunctions().map((f) => f.name);
  assert.ok(names.includes("stripe-webhook"), "the functions were found");
  assert.deepEqual(listProblems(markedList(operations(), "functions"), names, "OPERATIONS.md"), []);
});

Deno.test("docs/OPERATIONS.md: the Stripe and Zoom events to enable are the ones the webhooks handle", () => {
  assert.deepEqual(
    listProblems(markedList(operations(), "stripe-events"), handledStripeEvents, "OPERATIONS.md"),
    [],
  );
  assert.deepEqual(
    listProblems(markedList(operations(), "zoom-events"), [...handledZoomEvents], "OPERATIONS.md"),
    [],
  );
});

Deno.test("docs/OPERATIONS.md: the cron jobs are the ones the migrations schedule", () => {
  const jobs = sqlCronJobs(migrationsSql());
  assert.ok(jobs.includes("send-emails"), "the migrations' jobs were found");
  // Only the table's first column is in backticks: one code span a job.
  const listed = markedList(operations(), "cron-jobs");
  assert.deepEqual(listProblems(listed, jobs, "OPERATIONS.md"), []);
});

Deno.test("the Stripe events the migrations apply are the ones stripe-webhook hands them", () => {
  const dir = join(supabaseDir, "migrations");
  const sql = readdirSync(dir).filter((f) => f.endsWith(".sql")).map((f) => read(join(dir, f)));
  assert.deepEqual(
    listProblems(sqlStripeEvents(sql.join("\n")), handledStripeEvents, "the migrations"),
    [],
  );
});
