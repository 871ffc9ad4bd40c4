// `npm run token -- <email> [--create] [--claims] [--legacy]`: an access token for a user of the
// running stack, built as Supabase Auth builds one (scripts/lib/access-token.ts): the standard
// claims, then the custom access token hook from config.toml run in the database as
// supabase_auth_admin, then the signature: ES256 with the stack's signing key and its kid in the
// header, as Auth signs once a project uses JWT signing keys.
//
//   --create   create the user (a confirmed email user, password Password123!) if missing
//   --claims   print the claims as JSON instead of the token
//   --legacy   sign HS256 with the legacy JWT secret instead (the same claims)
//
// The stack is found through SUPABASE_DB_URL, SUPABASE_URL and SUPABASE_JWT_SECRET when they are
// set (as after `eval "$(npm run -s status)"`), else through `npm run status`; the signing key
// through SUPABASE_AUTH_SIGNING_KEYS_PATH, else config.toml's [auth] signing_keys_path.
import { join } from "node:path";
import { connect } from "../supabase/functions/_shared/db.ts";
import { createUser } from "../supabase/functions/_shared/testing/users.ts";
import { accessToken, asAuthServer, DEFAULT_HOOK, findUser } from "./lib/access-token.ts";
import { readConfigToml } from "./lib/functions-config.ts";
import { stackKeys } from "./lib/keys.ts";
import { parseEnvLines } from "./lib/local-stack.ts";
import { bin, root } from "./lib/paths.ts";
import { run } from "./lib/proc.ts";
import type { SigningJwk } from "./lib/signing-keys.ts";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const flags = new Set(Deno.args.filter((a) => a.startsWith("--")));
const email = args[0];
const unknown = [...flags].filter((f) => !["--create", "--claims", "--legacy"].includes(f));
if (!email || args.length > 1 || unknown.length) {
  console.error("usage: npm run token -- <email> [--create] [--claims] [--legacy]");
  Deno.exit(2);
}

async function stackEnv(): Promise<Record<string, string>> {
  const env = Deno.env.toObject();
  if (env.SUPABASE_DB_URL && env.SUPABASE_URL) return env;
  const r = await run([bin("deno"), "run", "-A", join(root, "scripts", "stack.ts"), "status"]);
  if (r.code !== 0) throw new Error(r.stderr.trim() || "could not read the stack's status");
  return { ...parseEnvLines(r.stdout), ...env };
}

/** config.toml's hook (pg-functions://postgres/<schema>/<fn>) and token lifetime. */
function authSettings(): { hook: string | null; expiresIn: number } {
  const auth = (readConfigToml().auth ?? {}) as {
    jwt_expiry?: number;
    hook?: { custom_access_token?: { enabled?: boolean; uri?: string } };
  };
  const h = auth.hook?.custom_access_token;
  let hook: string | null = null;
  if (h?.enabled) {
    const m = h.uri?.match(/^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/);
    hook = m ? `${m[1]}.${m[2]}` : DEFAULT_HOOK;
  }
  return { hook, expiresIn: auth.jwt_expiry ?? 3600 };
}

try {
  const env = await stackEnv();
  let key: string | SigningJwk;
  if (flags.has("--legacy")) {
    key = env.SUPABASE_JWT_SECRET ?? env.JWT_SECRET;
    if (!key) throw new Error("no JWT secret: is the stack running?");
  } else {
    key = (await stackKeys()).signingKey;
  }
  const { hook, expiresIn } = authSettings();
  await asAuthServer(env.SUPABASE_DB_URL, async (auth) => {
    if (!(await findUser(auth, email))) {
      if (!flags.has("--create")) {
        throw new Error(`no user ${email}; pass --create to create one (a student)`);
      }
      const sql = connect(env.SUPABASE_DB_URL, { max: 1 });
      try {
        await createUser(sql, email);
      } finally {
        await sql.end();
      }
      console.error(`created ${email} (password Password123!)`);
    }
    const { token, claims } = await accessToken(auth, email, key, {
      issuer: `${env.SUPABASE_URL}/auth/v1`,
      expiresIn,
      hook,
    });
    console.log(flags.has("--claims") ? JSON.stringify(claims, null, 2) : token);
    console.error(
      `${claims.email}: role ${claims.role}, user_role ${claims.user_role ?? "(none)"}, ` +
        `expires ${new Date(Number(claims.exp) * 1000).toISOString()}, ` +
        (typeof key === "string" ? "HS256 (legacy JWT secret)" : `ES256, kid ${key.kid}`),
    );
  });
} catch (e) {
  console.error(`✖ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
