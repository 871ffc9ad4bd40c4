// Open Badges on the local stack: the credentials function signs with CREDENTIALS_SIGNING_KEYS, a
// secret a deployer sets (supabase/functions/.env, `supabase secrets set`). Where the functions'
// secrets have no usable key (no .env, whose default is the .env.example placeholder, or a .env
// without one), the stack of `npm start` gives them a dev key of its own: one Ed25519 seed made
// the first time into supabase/credentials_signing_keys (git-ignored, mode 0600, never committed),
// as it does with its JWT signing key. npm test's throwaway stack signs with a fresh key of its own
// (throwawayCredentialsKeys). A key in supabase/functions/.env always wins on `npm start`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { credentialsEnv, newSigningSeed } from "../../supabase/functions/_shared/credentials.ts";
import { supabaseDir } from "./paths.ts";

/** The local stack's dev Open Badges key file (git-ignored): a CREDENTIALS_SIGNING_KEYS value. */
export const localCredentialsKeysPath = join(supabaseDir, "credentials_signing_keys");

/** Whether a CREDENTIALS_SIGNING_KEYS value is one the credentials function accepts. */
export const credentialsKeysValid = (value: string | undefined): boolean =>
  credentialsEnv.shape.CREDENTIALS_SIGNING_KEYS.safeParse(value).success;

/**
 * The dev key file's value, created (one new seed, mode 0600) when the file does not exist yet.
 * An existing file is read and checked, never rewritten (rotate it by hand, e.g. with
 * `npm run credentials:key -- --rotate "$(cat supabase/credentials_signing_keys)"`).
 */
export async function ensureLocalCredentialsKeys(
  path = localCredentialsKeysPath,
): Promise<{ keys: string; created: boolean }> {
  const read = () => {
    const keys = Deno.readTextFileSync(path).trim();
    if (!credentialsKeysValid(keys)) {
      throw new Error(
        `${path}: not a CREDENTIALS_SIGNING_KEYS value (comma-separated base64url Ed25519 seeds); ` +
          "delete it and `npm start` makes a new one",
      );
    }
    return keys;
  };
  if (existsSync(path)) return { keys: read(), created: false };
  const keys = newSigningSeed();
  try {
    // createNew: never overwrite a file another process wrote meanwhile.
    await Deno.writeTextFile(path, `${keys}\n`, { mode: 0o600, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return { keys: read(), created: false };
    throw e;
  }
  return { keys, created: true };
}

/**
 * The override the local stack gives the functions for Open Badges: none when their secrets
 * (`env`: the env file's, or the defaults) already hold a usable key, else the dev key.
 */
export async function localCredentialsOverride(
  env: Record<string, string>,
  path = localCredentialsKeysPath,
): Promise<{ env: Record<string, string>; created: boolean; path: string } | null> {
  if (credentialsKeysValid(env.CREDENTIALS_SIGNING_KEYS)) return null;
  const { keys, created } = await ensureLocalCredentialsKeys(path);
  return { env: { CREDENTIALS_SIGNING_KEYS: keys }, created, path };
}

/** A throwaway stack's Open Badges key: a fresh seed, kept in memory only. */
export const throwawayCredentialsKeys = (): Record<string, string> => ({
  CREDENTIALS_SIGNING_KEYS: newSigningSeed(),
});
