// Runs one docs/API.md recipe in this process, as the recipe suite (scripts/lib/recipe-suite.ts)
// starts it: `deno run -A --no-check recipe-sandbox.ts <recipe.ts> <result.json>`.
//
// The recipe is imported as it is written in the doc. What it prints (console.*) and what it
// would do in a browser (location.assign, window.open, alert) is recorded with the line and
// column of the call in the recipe, so the suite can compare each with the trailing comment on
// that line. Browser globals a recipe uses get a small shim: `location` (origin from
// RECIPE_SITE_URL), `window` (this global), `alert`; and the values a recipe `declare`s (a file
// from an <input type="file">). The result goes to <result.json>: {outputs, error}.
import { pathToFileURL } from "node:url";

export interface RecipeOutput {
  line: number;
  column: number;
  text: string;
}

export interface RecipeResult {
  outputs: RecipeOutput[];
  /** What the recipe threw (or rejected unhandled), with its stack; null when it ran through. */
  error: string | null;
}

const [recipeFile, resultFile] = Deno.args;
if (!recipeFile || !resultFile) {
  throw new Error("usage: recipe-sandbox.ts <recipe.ts> <result.json>");
}
const recipeUrl = pathToFileURL(recipeFile).href;
const outputs: RecipeOutput[] = [];
const errors: string[] = [];

/** The line and column in the recipe of the call that is printing. */
function callSite(): { line: number; column: number } {
  for (const frame of (new Error().stack ?? "").split("\n")) {
    const m = frame.match(/(file:\/\/[^\s()]+):(\d+):(\d+)\)?$/);
    if (m && m[1] === recipeUrl) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return { line: 0, column: 0 };
}

/** console.log's formatting, on one line, without colours. */
const format = (args: unknown[]) =>
  args.map((a) =>
    typeof a === "string"
      ? a
      : Deno.inspect(a, { colors: false, depth: 6, compact: true, breakLength: Infinity })
  ).join(" ");

const stderr = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));

function record(args: unknown[]): void {
  const text = format(args);
  outputs.push({ ...callSite(), text });
  stderr(text);
}

for (const method of ["log", "info", "warn", "error", "debug"] as const) {
  console[method] = (...args: unknown[]) => record(args);
}

const siteUrl = new URL(Deno.env.get("RECIPE_SITE_URL") ?? "http://localhost:3000");
const location = {
  origin: siteUrl.origin,
  href: siteUrl.href,
  assign: (url: string | URL) => record([String(url)]),
  replace: (url: string | URL) => record([String(url)]),
};
const shims: Record<string, unknown> = {
  location,
  window: globalThis,
  open: (url: string | URL) => {
    record([String(url)]);
    return null;
  },
  alert: (message?: unknown) => record([message]),
  // `declare const file: Blob; // from an <input type="file">`: a 1×1 PNG.
  file: new Blob([
    Uint8Array.from(
      atob(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      ),
      (c) => c.charCodeAt(0),
    ),
  ], { type: "image/png" }),
};
for (const [name, value] of Object.entries(shims)) {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  const reason = e.reason;
  errors.push(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

try {
  await import(recipeUrl);
} catch (e) {
  errors.push(e instanceof Error ? (e.stack ?? e.message) : `threw ${format([e])}`);
}
// Let what the recipe started settle (a realtime channel closing, a pending log).
await new Promise((resolve) => setTimeout(resolve, 50));

const result: RecipeResult = { outputs, error: errors.length ? errors.join("\n") : null };
await Deno.writeTextFile(resultFile, JSON.stringify(result));
Deno.exit(0);
