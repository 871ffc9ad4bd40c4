// Where the project and its local stack live.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const supabaseDir = join(root, "supabase");
export const functionsDir = join(supabaseDir, "functions");
export const localDir = join(root, ".local");
export const bin = (name: string) => join(root, "node_modules", ".bin", name);
export const typesFile = join(functionsDir, "_shared", "database.types.ts");
