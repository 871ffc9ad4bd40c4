// `npm run gen:types`: regenerates supabase/functions/_shared/database.types.ts from the migrations,
// on a throwaway database, so the dev stack's state never leaks into the committed types.
import { typesFile } from "./lib/paths.ts";
import { log } from "./lib/proc.ts";
import { throwawayDatabase } from "./lib/throwaway.ts";
import { generateTypes } from "./lib/types.ts";

const db = await throwawayDatabase();
try {
  await Deno.writeTextFile(typesFile, await generateTypes(db.cluster, db.signingKeysPath));
  log(`wrote ${typesFile}`);
} finally {
  await db.dispose();
}
