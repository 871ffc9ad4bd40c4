// Released migrations are append-only. `supabase/released-migrations.sha256` lists every migration
// a tagged release shipped, in sha256sum's format (`<sha-256>  migrations/<file>`, so
// `cd supabase && sha256sum -c released-migrations.sha256` checks it too). `npm run
// migrations:release` appends the migrations not listed yet, when a release is tagged; a test in
// `npm test` fails when a listed migration was changed, renamed or deleted, or when a migration
// that is not listed sorts before a listed one (new migrations go after released ones).
//
// Until the first release the list is empty and migrations may be restructured freely.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The list's name, in `supabase/`. */
export const RELEASED_LIST = "released-migrations.sha256";

export interface Released {
  sha256: string;
  /** The migration's file name in `supabase/migrations`. */
  file: string;
}

const MIGRATIONS = "migrations/";

/** A migration file's SHA-256, over its text with LF line endings (as committed). */
export function migrationSha256(path: string): string {
  const text = readFileSync(path, "utf8").replaceAll("\r\n", "\n");
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The migration files in `dir`, sorted as the CLI applies them (by name: timestamp first). */
function migrationFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
}

/** Parses the list; a line that is not `<sha-256>  migrations/<file>` throws, with its number. */
export function parseReleased(text: string): Released[] {
  const out: Released[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = line.match(/^([0-9a-f]{64}) [ *](.+)$/);
    if (!m || !m[2].startsWith(MIGRATIONS) || m[2].slice(MIGRATIONS.length).includes("/")) {
      throw new Error(
        `${RELEASED_LIST}:${i + 1}: expected "<sha-256>  migrations/<file>", got ${
          JSON.stringify(line)
        }`,
      );
    }
    out.push({ sha256: m[1], file: m[2].slice(MIGRATIONS.length) });
  });
  return out;
}

/** One line of the list. */
const releasedLine = (r: Released) => `${r.sha256}  ${MIGRATIONS}${r.file}\n`;

/**
 * What is wrong with the migrations in `dir` against the list's text: one sentence per problem,
 * each naming its file. Empty when every released migration is there unchanged and every other
 * one sorts after them.
 */
export function releasedProblems(dir: string, listText: string): string[] {
  const released = parseReleased(listText);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of released) {
    if (seen.has(r.file)) problems.push(`${r.file} is listed twice in ${RELEASED_LIST}.`);
    seen.add(r.file);
    const path = join(dir, r.file);
    if (!existsSync(path)) {
      problems.push(
        `${r.file} was released and is gone (deleted or renamed): released migrations are ` +
          `append-only; restore it and put the change in a new migration.`,
      );
    } else if (migrationSha256(path) !== r.sha256) {
      problems.push(
        `${r.file} was released and has changed: released migrations are append-only; restore ` +
          `it (git checkout <release tag> -- supabase/migrations/${r.file}) and put the change in ` +
          `a new migration.`,
      );
    }
  }
  const last = released.map((r) => r.file).sort().at(-1);
  if (last) {
    for (const f of migrationFiles(dir)) {
      if (!seen.has(f) && f < last) {
        problems.push(
          `${f} is not released but sorts before the released ${last}: new migrations go after ` +
            `released ones; give it a later timestamp.`,
        );
      }
    }
  }
  return problems;
}

/**
 * The list with every migration of `dir` that is not in it yet appended, in build order, and
 * those migrations. Throws the problems instead when the released ones are not as listed.
 */
export function release(dir: string, listText: string): { text: string; added: string[] } {
  const problems = releasedProblems(dir, listText);
  if (problems.length) throw new Error(problems.join("\n"));
  const listed = new Set(parseReleased(listText).map((r) => r.file));
  const added = migrationFiles(dir).filter((f) => !listed.has(f));
  const head = listText === "" || listText.endsWith("\n") ? listText : `${listText}\n`;
  return {
    text: head +
      added.map((file) => releasedLine({ sha256: migrationSha256(join(dir, file)), file })).join(
        "",
      ),
    added,
  };
}
