// `npm run signing-key`: makes sure the project's JWT signing key exists (the file config.toml's
// [auth] signing_keys_path names, git-ignored; one ES256 key in the CLI's format, created the first
// time) and prints its public JWKS. `npm ci` runs it (`--quiet`, as the postinstall script) so a
// fresh clone can use the Supabase CLI at once (it refuses every command while the file is
// missing); `npm start` does it too. It never prints the private key.
import { ensureProjectSigningKeys } from "./lib/local-stack.ts";
import { publicJwks, readSigningKeys } from "./lib/signing-keys.ts";

const quiet = Deno.args.includes("--quiet");
try {
  const path = await ensureProjectSigningKeys();
  if (!quiet) {
    console.error(`signing keys: ${path}`);
    console.log(JSON.stringify(publicJwks(readSigningKeys(path)), null, 2));
  }
} catch (e) {
  console.error(`✖ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
