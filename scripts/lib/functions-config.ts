// Reads the edge functions and their settings from supabase/config.toml, as the CLI does.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { functionsDir, supabaseDir } from "./paths.ts";

export interface FunctionSpec {
  name: string;
  entrypoint: string;
  verifyJwt: boolean;
}

type FunctionToml = { enabled?: boolean; verify_jwt?: boolean; entrypoint?: string };

export function readConfigToml(): Record<string, unknown> {
  return parse(Deno.readTextFileSync(join(supabaseDir, "config.toml")));
}

export function listFunctions(): FunctionSpec[] {
  const config = readConfigToml();
  const settings = (config.functions ?? {}) as Record<string, FunctionToml>;
  const specs: FunctionSpec[] = [];
  for (const entry of readdirSync(functionsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const s = settings[entry.name] ?? {};
    if (s.enabled === false) continue;
    const entrypoint = s.entrypoint
      ? join(supabaseDir, s.entrypoint)
      : join(functionsDir, entry.name, "index.ts");
    if (!existsSync(entrypoint)) continue;
    specs.push({ name: entry.name, entrypoint, verifyJwt: s.verify_jwt ?? true });
  }
  return specs;
}

/** Parses a dotenv file: KEY=value lines, optional quotes, # comments. */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/);
    if (!m) continue;
    let value = m[2];
    const quoted = value.match(/^(['"])(.*)\1$/);
    if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, "\n") : quoted[2];
    else value = value.replace(/\s+#.*$/, "");
    env[m[1]] = value;
  }
  return env;
}
