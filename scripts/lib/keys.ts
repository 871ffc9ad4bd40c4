// The local stack's API keys and JWT keys, both kinds:
// - the current ones: an opaque publishable key and secret key (`sb_publishable_...`,
//   `sb_secret_...`), and an ES256 signing key (scripts/lib/signing-keys.ts) whose public half is
//   the JWKS;
// - the legacy ones: the HS256 JWT secret and the anon and service_role JWTs signed with it.
// The API keys and the JWT secret are the Supabase CLI's fixed demo values (supabase/cli
// pkg/config/apikeys.go), so frontends configured for `supabase start` work unchanged against our
// stack and the other way round. They are public knowledge: never use them on a hosted project.
import { decodeProtectedHeader, importJWK, type JWK, SignJWT } from "jose";
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";
import {
  currentSigningKey,
  ensureSigningKeys,
  publicJwks,
  readSigningKeys,
  type SigningJwk,
  signingKeysPath,
} from "./signing-keys.ts";

export const JWT_SECRET = Deno.env.get("SUPABASE_JWT_SECRET") ??
  "super-secret-jwt-token-with-at-least-32-characters-long";

/** The CLI's default publishable and secret keys (defaultPublishableKey, defaultSecretKey). */
export const PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

const DEMO_EXP = 1983812996; // the expiry the CLI's demo keys carry (2032-11-12)

/** The legacy anon and service_role keys: HS256 JWTs signed with the JWT secret, as the CLI's. */
export async function apiKeys(secret = JWT_SECRET): Promise<{ anon: string; serviceRole: string }> {
  return {
    anon: await signJwt({ iss: "supabase-demo", role: "anon" }, secret, DEMO_EXP),
    serviceRole: await signJwt({ iss: "supabase-demo", role: "service_role" }, secret, DEMO_EXP),
  };
}

/** The legacy JWT secret as a JWK, the way the CLI and self-hosted Supabase put it in a JWKS. */
export function legacySecretJwk(secret = JWT_SECRET): JWK {
  const k = btoa(secret).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { kty: "oct", k, alg: "HS256" };
}

/**
 * What PostgREST verifies tokens with (its `jwt-secret`, which takes a JWK set): the signing keys'
 * public halves and the legacy secret, so ES256 tokens and legacy HS256 ones both pass. This is a
 * hosted project after its legacy secret was migrated into the signing keys system and rotated to
 * an ES256 key (the legacy secret "previously used", still trusted until revoked).
 */
export function verificationJwks(keys: SigningJwk[], secret = JWT_SECRET): { keys: JWK[] } {
  return { keys: [...publicJwks(keys).keys, legacySecretJwk(secret)] };
}

/** Signs claims with a signing key as Supabase Auth does: alg from the key, its kid, typ JWT. */
export async function signWithKey(claims: Record<string, unknown>, key: SigningJwk) {
  // Only the key material: WebCrypto refuses a private key whose key_ops include "verify".
  const { key_ops: _ops, use: _use, ext: _ext, ...material } = key;
  const privateKey = await importJWK(material, key.alg);
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: "JWT", kid: key.kid })
    .sign(privateKey);
}

/** The `kid` and `alg` of a token's header (no verification). */
export function tokenHeader(token: string): { alg?: string; kid?: string } {
  const { alg, kid } = decodeProtectedHeader(token);
  return { alg, kid };
}

export interface StackKeys {
  /** sb_publishable_...: the anon role. */
  publishable: string;
  /** sb_secret_...: the service_role role. */
  secret: string;
  /** Legacy anon key: an HS256 JWT. */
  anon: string;
  /** Legacy service_role key: an HS256 JWT. */
  serviceRole: string;
  /** The legacy JWT secret (HS256). */
  jwtSecret: string;
  /** The public JWKS, as served at <SUPABASE_URL>/auth/v1/.well-known/jwks.json. */
  jwks: { keys: JWK[] };
  /** The private key new tokens are signed with (ES256, with its kid). */
  signingKey: SigningJwk;
  /** Every signing key in the file (the current one and any others it lists). */
  signingKeys: SigningJwk[];
  /** The file they come from. */
  signingKeysPath: string;
}

/**
 * Every key of the stack, for the stack itself and for test runners: both kinds of API key and
 * the keys to mint both kinds of token. The signing keys come from `path`, else from
 * $SUPABASE_AUTH_SIGNING_KEYS_PATH or config.toml's [auth] signing_keys_path; with
 * `create: true` a missing file is created (one ES256 key), otherwise it must exist.
 */
export async function stackKeys(
  opts: { path?: string; create?: boolean } = {},
): Promise<StackKeys> {
  const path = opts.path ?? signingKeysPath();
  if (!path) {
    throw new Error("no signing keys: config.toml has no [auth] signing_keys_path");
  }
  let signingKeys: SigningJwk[];
  if (opts.create) signingKeys = (await ensureSigningKeys(path)).keys;
  else {
    try {
      signingKeys = readSigningKeys(path);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}; \`npm start\` creates the key`);
    }
  }
  const legacy = await apiKeys();
  return {
    publishable: PUBLISHABLE_KEY,
    secret: SECRET_KEY,
    anon: legacy.anon,
    serviceRole: legacy.serviceRole,
    jwtSecret: JWT_SECRET,
    jwks: publicJwks(signingKeys),
    signingKey: currentSigningKey(signingKeys),
    signingKeys,
    signingKeysPath: path,
  };
}

/**
 * The keys the platform gives every edge function (supabase.com/docs/guides/functions/secrets):
 * SUPABASE_PUBLISHABLE_KEYS and SUPABASE_SECRET_KEYS, JSON objects of named keys (ours: "default",
 * as the CLI's edge runtime sets them), SUPABASE_JWKS (the public keys, the value
 * /auth/v1/.well-known/jwks.json serves), and the legacy SUPABASE_ANON_KEY and
 * SUPABASE_SERVICE_ROLE_KEY. Also the single-key SUPABASE_PUBLISHABLE_KEY and SUPABASE_SECRET_KEY,
 * which @supabase/server reads when the plural ones are absent. SUPABASE_URL and SUPABASE_DB_URL
 * come from the stack. The legacy JWT secret is not among them, as on the platform.
 */
export function functionsPlatformEnv(keys: StackKeys): Record<string, string> {
  return {
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishable }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secret }),
    SUPABASE_PUBLISHABLE_KEY: keys.publishable,
    SUPABASE_SECRET_KEY: keys.secret,
    SUPABASE_JWKS: JSON.stringify(keys.jwks),
    SUPABASE_ANON_KEY: keys.anon,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
  };
}
