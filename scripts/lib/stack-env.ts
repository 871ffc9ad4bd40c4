// The running local stack's URLs and secrets, as `npm run status` prints them: from the environment
// when they are set there (`npm test`, or `eval "$(npm run -s status)"`), else from `status` itself
// (local or Docker mode alike).
import { join } from "node:path";
import { z } from "../../supabase/functions/_shared/config.ts";
import { bin, root } from "./paths.ts";
import { run } from "./proc.ts";

const stackEnvSchema = z.object({
  SUPABASE_URL: z.url(),
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  SUPABASE_JWT_SECRET: z.string().min(32),
  FUNCTIONS_URL: z.url(),
});

/** KEY=value lines (optionally quoted), as `status` and `supabase status -o env` print them. */
export function parseStatus(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([A-Z_]+)=(?:"(.*)"|(.*))$/);
    if (m) env[m[1]] = m[2] ?? m[3];
  }
  return env;
}

export async function stackEnv(env: Record<string, string | undefined> = Deno.env.toObject()) {
  const fromEnv = stackEnvSchema.safeParse(env);
  if (fromEnv.success) return fromEnv.data;
  const r = await run([bin("deno"), "run", "-A", join(root, "scripts", "stack.ts"), "status"], {
    cwd: root,
  });
  const status = stackEnvSchema.safeParse(parseStatus(r.stdout));
  if (r.code !== 0 || !status.success) {
    throw new Error(
      `the local stack is not running (start it with \`npm start\`)\n${r.stderr.trim()}`.trim(),
    );
  }
  return status.data;
}
