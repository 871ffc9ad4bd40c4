// The local stack's dev Open Badges key: made once into a git-ignored file, used only where the
// functions' secrets have no usable key, and never over a deployer's.
import assert from "node:assert/strict";
import { join } from "node:path";
import { signingKeys } from "../../supabase/functions/_shared/credentials.ts";
import { localFunctionEnv } from "./local-env.ts";
import {
  credentialsKeysValid,
  ensureLocalCredentialsKeys,
  localCredentialsKeysPath,
  localCredentialsOverride,
  throwawayCredentialsKeys,
} from "./local-credentials.ts";
import { supabaseDir } from "./paths.ts";

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "coursebase-credentials-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("local credentials: the dev key file is supabase/credentials_signing_keys, git-ignored", async () => {
  assert.equal(localCredentialsKeysPath, join(supabaseDir, "credentials_signing_keys"));
  const ignored = await new Deno.Command("git", {
    args: ["check-ignore", "--quiet", "--", localCredentialsKeysPath],
    cwd: supabaseDir,
  }).output();
  assert.equal(ignored.code, 0, "supabase/credentials_signing_keys is git-ignored");
});

Deno.test("local credentials: the key is made once (mode 0600), then read and never rewritten", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "credentials_signing_keys");
    const first = await ensureLocalCredentialsKeys(path);
    assert.equal(first.created, true);
    assert.ok(credentialsKeysValid(first.keys));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const [key] = await signingKeys(first.keys);
    assert.equal(key.publicJwk.alg, "EdDSA");
    const again = await ensureLocalCredentialsKeys(path);
    assert.deepEqual(again, { keys: first.keys, created: false });

    // A rotated value (two keys) is kept as it is.
    const rotated = `${throwawayCredentialsKeys().CREDENTIALS_SIGNING_KEYS},${first.keys}`;
    await Deno.writeTextFile(path, `${rotated}\n`);
    assert.equal((await ensureLocalCredentialsKeys(path)).keys, rotated);

    await Deno.writeTextFile(path, "replace_me\n");
    await assert.rejects(() => ensureLocalCredentialsKeys(path), /not a CREDENTIALS_SIGNING_KEYS/);
    assert.equal(await Deno.readTextFile(path), "replace_me\n", "a bad file is left alone");
  });
});

Deno.test("local credentials: the dev key only where the functions' secrets have none", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "credentials_signing_keys");
    // The defaults (no supabase/functions/.env) carry the .env.example placeholder.
    assert.equal(credentialsKeysValid(localFunctionEnv.CREDENTIALS_SIGNING_KEYS), false);
    const fromDefaults = await localCredentialsOverride({ ...localFunctionEnv }, path);
    assert.ok(fromDefaults);
    assert.equal(fromDefaults.created, true);
    assert.equal(fromDefaults.path, path);
    assert.deepEqual(fromDefaults.env, {
      CREDENTIALS_SIGNING_KEYS: (await Deno.readTextFile(path)).trim(),
    });
    // A .env without the setting, or with a value the function would refuse: the same dev key.
    const noKey: Record<string, string>[] = [{}, { CREDENTIALS_SIGNING_KEYS: "not-a-seed" }];
    for (const env of noKey) {
      const override = await localCredentialsOverride(env, path);
      assert.deepEqual(override, { ...fromDefaults, created: false });
    }
    // A deployer's key in supabase/functions/.env wins: no override.
    const own = throwawayCredentialsKeys();
    assert.equal(await localCredentialsOverride(own, path), null);
  });
});

Deno.test("local credentials: a throwaway stack gets a fresh valid key each time", () => {
  const a = throwawayCredentialsKeys().CREDENTIALS_SIGNING_KEYS;
  const b = throwawayCredentialsKeys().CREDENTIALS_SIGNING_KEYS;
  assert.ok(credentialsKeysValid(a) && credentialsKeysValid(b));
  assert.notEqual(a, b);
});
