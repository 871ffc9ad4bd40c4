// The signing keys file, in the Supabase CLI's format, created once and never rewritten.
import assert from "node:assert/strict";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { legacySecretJwk, signWithKey, stackKeys, verificationJwks } from "./keys.ts";
import { readConfigToml } from "./functions-config.ts";
import { supabaseDir } from "./paths.ts";
import {
  ensureSigningKeys,
  generateSigningKey,
  publicJwks,
  readSigningKeys,
  SIGNING_KEYS_PATH_ENV,
  signingKeysPath,
} from "./signing-keys.ts";

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "coursebase-keys-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("signing keys: config.toml points [auth] signing_keys_path at a git-ignored file in supabase/", async () => {
  const auth = readConfigToml().auth as { signing_keys_path?: string };
  assert.equal(auth.signing_keys_path, "./signing_keys.json");
  assert.equal(signingKeysPath({}), join(supabaseDir, "signing_keys.json"));
  // The CLI's environment override wins, relative paths are relative to supabase/.
  assert.equal(signingKeysPath({ [SIGNING_KEYS_PATH_ENV]: "/tmp/k.json" }), "/tmp/k.json");
  assert.equal(signingKeysPath({ [SIGNING_KEYS_PATH_ENV]: "k.json" }), join(supabaseDir, "k.json"));
  const ignored = await new Deno.Command("git", {
    args: ["check-ignore", "--quiet", "--", join(supabaseDir, "signing_keys.json")],
    cwd: supabaseDir,
  }).output();
  assert.equal(ignored.code, 0, "supabase/signing_keys.json is git-ignored");
});

Deno.test("signing keys: a new key is ES256 in the CLI's format, with a UUID kid", async () => {
  const key = await generateSigningKey();
  assert.deepEqual(Object.keys(key), [
    "kty",
    "kid",
    "use",
    "key_ops",
    "alg",
    "ext",
    "crv",
    "x",
    "y",
    "d",
  ]);
  assert.equal(key.kty, "EC");
  assert.equal(key.alg, "ES256");
  assert.equal(key.crv, "P-256");
  assert.equal(key.use, "sig");
  assert.deepEqual(key.key_ops, ["sign", "verify"]);
  assert.equal(key.ext, true);
  assert.match(key.kid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  for (const c of [key.x, key.y, key.d]) assert.match(c!, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("signing keys: created once (mode 0600), then read back, never rewritten", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "signing_keys.json");
    const first = await ensureSigningKeys(path);
    assert.equal(first.created, true);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(path);
    assert.deepEqual(JSON.parse(text), first.keys);
    assert.ok(text.startsWith("[\n  {\n"), "a JSON array, indented as the CLI writes it");
    const second = await ensureSigningKeys(path);
    assert.equal(second.created, false);
    assert.deepEqual(second.keys, first.keys);
    assert.equal(await Deno.readTextFile(path), text);
    // stackKeys() over that file: the same key, its public half as the JWKS.
    const keys = await stackKeys({ path });
    assert.deepEqual(keys.signingKey, first.keys[0]);
    assert.deepEqual(keys.jwks, publicJwks(first.keys));
  });
});

Deno.test("signing keys: a file that is not the CLI's format is refused with its path", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "bad.json");
    for (const text of ["{}", "[]", '[{"kty":"oct","k":"c2VjcmV0"}]', "not json"]) {
      await Deno.writeTextFile(path, text);
      assert.throws(() => readSigningKeys(path), new RegExp(path.replace(/\./g, "\\.")));
    }
    await assert.rejects(stackKeys({ path: join(dir, "missing.json") }), /npm start/);
  });
});

Deno.test("signing keys: the public JWKS has no private member and verifies what the key signs", async () => {
  const key = await generateSigningKey();
  const jwks = publicJwks([key]);
  assert.deepEqual(jwks.keys, [{
    kty: "EC",
    kid: key.kid,
    use: "sig",
    key_ops: ["verify"],
    alg: "ES256",
    ext: true,
    crv: "P-256",
    x: key.x,
    y: key.y,
  }]);
  const token = await signWithKey({ role: "anon", exp: Math.floor(Date.now() / 1000) + 60 }, key);
  const [header] = token.split(".");
  assert.deepEqual(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/"))), {
    alg: "ES256",
    typ: "JWT",
    kid: key.kid,
  });
  assert.equal((await jwtVerify(token, createLocalJWKSet(jwks))).payload.role, "anon");
  // PostgREST's set adds the legacy secret, which the public set never holds.
  const forPostgrest = verificationJwks([key], "a-secret-of-at-least-thirty-two-characters");
  assert.deepEqual(forPostgrest.keys, [
    ...jwks.keys,
    legacySecretJwk("a-secret-of-at-least-thirty-two-characters"),
  ]);
  assert.equal(legacySecretJwk("abc").k, "YWJj");
});
