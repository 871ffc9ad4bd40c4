// The stack's JWT signing keys: the file `[auth] signing_keys_path` in supabase/config.toml names
// (git-ignored), in the Supabase CLI's format, so `supabase start` (Docker mode) signs with the
// same key as our local stack.
//
// Format (supabase/cli `gen signing-key`, apps/cli-go/internal/gen/signingkeys and
// pkg/config/auth.go JWK): a JSON array of private JWKs, each
//   { kty, kid (a UUID), use: "sig", key_ops: ["sign", "verify"], alg, ext: true, crv, x, y, d }
// written with mode 0600. The CLI signs with the first key; Supabase Auth with the one whose
// key_ops include "sign" (the CLI's keys all do). The CLI also honours the environment variable
// SUPABASE_AUTH_SIGNING_KEYS_PATH over config.toml, which is how `npm test` hands its throwaway
// stack a key of its own.
//
// The CLI refuses every command (`db push`, `db lint`, `start`, even `gen signing-key`) while the
// file config.toml names is missing (supabase/cli#4949), so everything here that runs the CLI
// makes sure the key exists first.
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { readConfigToml } from "./functions-config.ts";
import { supabaseDir } from "./paths.ts";

/** A private signing key as the CLI writes it. */
export interface SigningJwk extends JWK {
  kty: "EC" | "RSA";
  kid: string;
  alg: "ES256" | "RS256";
}

/** The environment variable the Supabase CLI reads over config.toml's [auth] signing_keys_path. */
export const SIGNING_KEYS_PATH_ENV = "SUPABASE_AUTH_SIGNING_KEYS_PATH";

/**
 * Where the signing keys live: $SUPABASE_AUTH_SIGNING_KEYS_PATH, else config.toml's
 * [auth] signing_keys_path, relative to supabase/ as the CLI resolves it. Null when neither is set.
 */
export function signingKeysPath(env: Record<string, string | undefined> = Deno.env.toObject()) {
  const configured = env[SIGNING_KEYS_PATH_ENV] ||
    ((readConfigToml().auth ?? {}) as { signing_keys_path?: string }).signing_keys_path;
  if (!configured) return null;
  return isAbsolute(configured) ? configured : join(supabaseDir, configured);
}

/** A new ES256 key in the CLI's format (the fields `supabase gen signing-key` writes, in order). */
export async function generateSigningKey(): Promise<SigningJwk> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    kty: "EC",
    kid: crypto.randomUUID(),
    use: "sig",
    key_ops: ["sign", "verify"],
    alg: "ES256",
    ext: true,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
  };
}

function isSigningJwk(k: unknown): k is SigningJwk {
  if (!k || typeof k !== "object") return false;
  const j = k as Record<string, unknown>;
  const ec = j.kty === "EC" && j.alg === "ES256" && j.crv === "P-256" &&
    typeof j.x === "string" && typeof j.y === "string";
  const rsa = j.kty === "RSA" && j.alg === "RS256" && typeof j.n === "string" &&
    typeof j.e === "string";
  return (ec || rsa) && typeof j.d === "string" && typeof j.kid === "string" && j.kid !== "";
}

/** Reads and checks a signing keys file: a non-empty array of ES256 or RS256 private JWKs. */
export function readSigningKeys(path: string): SigningJwk[] {
  let keys: unknown;
  try {
    keys = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`${path}: not a JSON array of signing keys (${e})`);
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new Error(
      `${path}: expected a JSON array of signing keys, as \`supabase gen signing-key\``,
    );
  }
  keys.forEach((k, i) => {
    if (!isSigningJwk(k)) {
      throw new Error(
        `${path}: key ${i} is not an ES256 or RS256 private JWK with a kid (kty, kid, alg, d, ...)`,
      );
    }
  });
  return keys as SigningJwk[];
}

/** The key tokens are signed with: the first whose key_ops include "sign" (Auth's rule). */
export function currentSigningKey(keys: SigningJwk[]): SigningJwk {
  const key = keys.find((k) => !k.key_ops || k.key_ops.includes("sign"));
  if (!key) throw new Error('no signing key (none has key_ops "sign")');
  return key;
}

/**
 * The signing keys at `path`, created (one ES256 key, mode 0600) when the file does not exist yet.
 * An existing file is read and checked, never rewritten.
 */
export async function ensureSigningKeys(
  path: string,
): Promise<{ keys: SigningJwk[]; created: boolean }> {
  if (existsSync(path)) return { keys: readSigningKeys(path), created: false };
  const keys = [await generateSigningKey()];
  // createNew: never overwrite a file another process wrote meanwhile.
  try {
    await Deno.writeTextFile(path, JSON.stringify(keys, null, 2) + "\n", {
      mode: 0o600,
      createNew: true,
    });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      return { keys: readSigningKeys(path), created: false };
    }
    throw e;
  }
  return { keys, created: true };
}

/**
 * A key's public half as Supabase Auth publishes it at /auth/v1/.well-known/jwks.json (it sets
 * use "sig" and key_ops ["verify"] on every public key; internal/conf/jwk.go), with the CLI's
 * ToPublicJWK fields: no private member ever.
 */
function publicJwk(key: SigningJwk): JWK {
  const pub: JWK = { kty: key.kty, kid: key.kid, use: "sig", key_ops: ["verify"], alg: key.alg };
  if (key.ext !== undefined) pub.ext = key.ext;
  if (key.kty === "EC") Object.assign(pub, { crv: key.crv, x: key.x, y: key.y });
  else Object.assign(pub, { n: key.n, e: key.e });
  return pub;
}

/** The public JSON Web Key Set of the signing keys (no symmetric key: Auth never publishes one). */
export function publicJwks(keys: SigningJwk[]): { keys: JWK[] } {
  return { keys: keys.map(publicJwk) };
}
