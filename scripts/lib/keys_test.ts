// The stack's two kinds of API key, and what the functions get of them.
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import { apiKeys, functionsPlatformEnv, JWT_SECRET, PUBLISHABLE_KEY, SECRET_KEY } from "./keys.ts";
import { generateSigningKey, publicJwks } from "./signing-keys.ts";

Deno.test("keys: the publishable and secret keys are the Supabase CLI's defaults", () => {
  // supabase/cli pkg/config/apikeys.go: defaultPublishableKey, defaultSecretKey.
  assert.equal(PUBLISHABLE_KEY, "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH");
  assert.equal(SECRET_KEY, "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz");
});

Deno.test("keys: the legacy anon and service_role keys are HS256 JWTs of the CLI's demo secret", async () => {
  const { anon, serviceRole } = await apiKeys();
  assert.equal((await verifyJwt(anon, JWT_SECRET)).role, "anon");
  assert.equal((await verifyJwt(serviceRole, JWT_SECRET)).role, "service_role");
  assert.deepEqual(decodeJwt(anon), { iss: "supabase-demo", role: "anon", exp: 1983812996 });
});

Deno.test("keys: functions get both kinds of key, the public JWKS, and no secret of the gateway", async () => {
  const signingKey = await generateSigningKey();
  const legacy = await apiKeys();
  const env = functionsPlatformEnv({
    publishable: PUBLISHABLE_KEY,
    secret: SECRET_KEY,
    ...legacy,
    jwtSecret: JWT_SECRET,
    jwks: publicJwks([signingKey]),
    signingKey,
    signingKeys: [signingKey],
    signingKeysPath: "/tmp/signing_keys.json",
  });
  assert.deepEqual(env, {
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: PUBLISHABLE_KEY }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: SECRET_KEY }),
    SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    SUPABASE_SECRET_KEY: SECRET_KEY,
    SUPABASE_JWKS: JSON.stringify(publicJwks([signingKey])),
    SUPABASE_ANON_KEY: legacy.anon,
    SUPABASE_SERVICE_ROLE_KEY: legacy.serviceRole,
  });
  const all = JSON.stringify(env);
  assert.ok(!all.includes(signingKey.d!), "never the private key");
  assert.ok(!all.includes(JWT_SECRET), "never the legacy JWT secret");
});
