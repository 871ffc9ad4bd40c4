// The frontend recipes of docs/API.md: every ```ts block. `npm test` type-checks them with tsc
// against the generated Database types (extractRecipes) and runs them through supabase-js against
// a stack (scripts/lib/recipe-suite.ts, `npm run test:api`). The doc's code is the tested code.
//
// A recipe says who runs it and what it prints, in comments a reader understands:
// - its first line names the persona: `// As anon.` or `// As Sam, a student (sam@example.com).`
//   (a seeded user, by the email in parentheses);
// - a call that prints (console.log/info/warn/error, location.assign, window.open, alert) and
//   ends with a trailing comment states what it prints the first time it runs there:
//   `console.log(status, error?.code); // 403 42501`. `…` stands for any text. A comment ending in
//   `(when Stripe is set up)`, `(when Stripe is not set up)` (or Zoom, Open Badges, or `(when
//   Storage runs)` / `(when Storage does not run)`) holds only on such a stack;
//   `A (when Stripe is set up), or B (when Stripe is not set up)` states both.
//   Every stated output must be printed, and match; prints without a comment are not checked.
// A block whose first line is `// file: NAME.ts` is a module the others import (the client).
import { join } from "node:path";
import ts from "typescript";
import { root, typesFile } from "./paths.ts";

export const apiDoc = join(root, "docs", "API.md");
export const recipesDir = join(root, "docs", "examples", "recipes");

export interface RecipeBlock {
  name: string;
  code: string;
  /** The line of docs/API.md the code starts on (after the ```ts fence). */
  line: number;
  /** The nearest heading above the block. */
  heading: string;
}

export function recipeBlocks(markdown: string): RecipeBlock[] {
  const blocks: RecipeBlock[] = [];
  for (const m of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const code = m[1];
    const before = markdown.slice(0, m.index);
    const line = before.split("\n").length + 1;
    const heading = [...before.matchAll(/^#{2,4} (.+)$/gm)].at(-1)?.[1] ?? "";
    const named = code.match(/^\/\/ file: ([\w.-]+\.ts)\n/);
    const n = String(blocks.length + 1).padStart(2, "0");
    blocks.push({ name: named ? named[1] : `recipe-${n}.ts`, code, line, heading });
  }
  return blocks;
}

/** Whether a block is a module the recipes import (`// file: client.ts`), not a recipe. */
export const isModule = (b: RecipeBlock) => !/^recipe-\d+\.ts$/.test(b.name);

/** Writes the recipes (plus database.types.ts re-exporting the generated types); returns the folder. */
export async function extractRecipes(): Promise<string> {
  const blocks = recipeBlocks(await Deno.readTextFile(apiDoc));
  if (blocks.length === 0) throw new Error("docs/API.md has no ```ts recipes");
  await Deno.remove(recipesDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(recipesDir, { recursive: true });
  const rel = typesFile.slice(root.length + 1);
  await Deno.writeTextFile(
    join(recipesDir, "database.types.ts"),
    `export type * from "../../../${rel}";\n`,
  );
  for (const b of blocks) await Deno.writeTextFile(join(recipesDir, b.name), b.code);
  return recipesDir;
}

// ------------------------------------------------------------------ personas and expectations

/** Who runs a recipe: anon, or a user by email. */
export interface Persona {
  /** As the first line says it, e.g. "Sam, a student (sam@example.com)". */
  label: string;
  email: string | null;
}

/** The conditions a stated output may depend on, and whether they hold on this stack. */
export interface StackFacts {
  stripe: boolean;
  zoom: boolean;
  /** The credentials function has its signing keys (Open Badges). */
  credentials?: boolean;
  /** A Storage server answers (the local stack has none). */
  storage?: boolean;
}

export interface Expectation {
  /** 1-based, in the recipe (add the block's `line` - 1 for docs/API.md). */
  line: number;
  column: number;
  /** The stated output: `…` matches any text. */
  text: string;
  /** The call, as written (for messages). */
  call: string;
  /** e.g. "Stripe is set up"; null when it always holds. */
  when: string | null;
}

export interface ParsedRecipe {
  persona: Persona;
  expectations: Expectation[];
}

/** Calls whose effect a recipe can state in a trailing comment. */
const PRINTERS = new Set([
  "console.log",
  "console.info",
  "console.warn",
  "console.error",
  "location.assign",
  "window.open",
  "alert",
]);

const CONDITIONS: Record<string, (f: StackFacts) => boolean> = {
  "Stripe is set up": (f) => f.stripe,
  "Stripe is not set up": (f) => !f.stripe,
  "Zoom is set up": (f) => f.zoom,
  "Zoom is not set up": (f) => !f.zoom,
  "Open Badges are set up": (f) => f.credentials === true,
  "Open Badges are not set up": (f) => f.credentials !== true,
  "Storage runs": (f) => f.storage === true,
  "Storage does not run": (f) => f.storage !== true,
};

export const conditionHolds = (when: string | null, facts: StackFacts): boolean =>
  when === null || CONDITIONS[when](facts);

/** The persona line and the stated outputs of a recipe; throws what is wrong with them. */
export function parseRecipe(code: string): ParsedRecipe {
  const first = code.split("\n", 1)[0];
  const as = first.match(/^\/\/ As (.+?)\.?$/);
  if (!as) {
    throw new Error(
      `the first line must name who runs it, e.g. "// As anon." or ` +
        `"// As Sam, a student (sam@example.com).", not ${JSON.stringify(first)}`,
    );
  }
  const label = as[1];
  const email = label.match(/\(([^\s()]+@[^\s()]+)\)/)?.[1] ?? null;
  if (!email && !/^anon\b/.test(label)) {
    throw new Error(`"${first}": name the user's email in parentheses, or "anon"`);
  }

  const sf = ts.createSourceFile("recipe.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const expectations: Expectation[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(sf);
      const statement = ts.isAwaitExpression(node.parent) ? node.parent.parent : node.parent;
      if (PRINTERS.has(callee) && ts.isExpressionStatement(statement)) {
        const comment = (ts.getTrailingCommentRanges(code, statement.end) ?? [])
          .find((c) => c.kind === ts.SyntaxKind.SingleLineCommentTrivia);
        if (comment) {
          const raw = code.slice(comment.pos + 2, comment.end).trim();
          // V8 reports a call at its name: `log` of console.log, `alert`.
          const name = ts.isPropertyAccessExpression(node.expression)
            ? node.expression.name
            : node.expression;
          const pos = sf.getLineAndCharacterOfPosition(name.getStart(sf));
          // `A (when X), or B (when Y)`: one output per condition.
          const alternatives = raw.split(/(?<=\(when [^()]+\)),\s+or\s+/);
          for (const alternative of alternatives) {
            const cond = alternative.match(/^(.*?)\s*\(when ([^()]+)\)$/);
            const when = cond ? cond[2] : null;
            if (when !== null && !(when in CONDITIONS)) {
              throw new Error(
                `unknown condition "(when ${when})": use ${
                  Object.keys(CONDITIONS).map((c) => `"(when ${c})"`).join(", ")
                }`,
              );
            }
            if (alternatives.length > 1 && when === null) {
              throw new Error(`"${raw}": give each alternative output its "(when ...)"`);
            }
            expectations.push({
              line: pos.line + 1,
              column: pos.character + 1,
              text: cond ? cond[1] : alternative,
              call: node.getText(sf).split("\n")[0],
              when,
            });
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (expectations.length === 0) {
    throw new Error(
      "it states no output: end a console.log(...) with a comment saying what it prints, " +
        "e.g. `console.log(status, error?.code); // 403 42501`",
    );
  }
  return { persona: { label, email }, expectations };
}

/** Whether printed text matches a stated output, where `…` stands for any text. */
export function matchesExpectation(expected: string, actual: string): boolean {
  const norm = (s: string) => s.replace(/\s+/g, " ").trim();
  const pattern = norm(expected).split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*");
  return new RegExp(`^${pattern}$`).test(norm(actual));
}
