// Extracts every ```ts block of docs/API.md into docs/examples/recipes/ so `tsc` type-checks the
// documented frontend calls against the generated Database types. A block whose first line is
// `// file: NAME.ts` is written under that name (the shared client); the others as recipe-NN.ts.
import { join } from "node:path";
import { root, typesFile } from "./paths.ts";

export const apiDoc = join(root, "docs", "API.md");
export const recipesDir = join(root, "docs", "examples", "recipes");

export function recipeBlocks(markdown: string): { name: string; code: string }[] {
  const blocks: { name: string; code: string }[] = [];
  for (const m of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const code = m[1];
    const named = code.match(/^\/\/ file: ([\w.-]+\.ts)\n/);
    const n = String(blocks.length + 1).padStart(2, "0");
    blocks.push({ name: named ? named[1] : `recipe-${n}.ts`, code });
  }
  return blocks;
}

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
