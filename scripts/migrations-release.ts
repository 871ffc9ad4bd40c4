// `npm run migrations:release`: run it when tagging a release. Appends the SHA-256 of every
// migration not released yet to supabase/released-migrations.sha256, after checking that the ones
// already released are unchanged; commit the list, then tag. From then on `npm test` fails when a
// released migration is changed, renamed or deleted (scripts/lib/released-migrations.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { supabaseDir } from "./lib/paths.ts";
import { release, RELEASED_LIST } from "./lib/released-migrations.ts";

const listPath = join(supabaseDir, RELEASED_LIST);
try {
  const before = existsSync(listPath) ? readFileSync(listPath, "utf8") : "";
  const { text, added } = release(join(supabaseDir, "migrations"), before);
  if (added.length === 0) {
    console.log(`Every migration is already in supabase/${RELEASED_LIST}; nothing to add.`);
  } else {
    writeFileSync(listPath, text);
    for (const f of added) console.log(`released: ${f}`);
    console.log(
      `\n${added.length} migration(s) added to supabase/${RELEASED_LIST}. Commit it, then tag ` +
        `the release; these files are append-only from now on.`,
    );
  }
} catch (e) {
  console.error(`✖ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
