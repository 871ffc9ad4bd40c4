// `npm run credentials:key`: a new Ed25519 signing key for Open Badges credentials, printed as the
// value of CREDENTIALS_SIGNING_KEYS (supabase/functions/.env, or `supabase secrets set`), with its
// key id. To rotate, pass the current value: `npm run credentials:key -- --rotate "$CURRENT"`
// prints the new key first (it signs from then on) followed by the current ones, which stay in the
// JWKS so credentials signed before the rotation still verify. It prints a private key: keep the
// output out of logs and source control.
import { newSigningSeed, signingKey } from "../supabase/functions/_shared/credentials.ts";

const rotate = Deno.args.indexOf("--rotate");
const current = rotate >= 0 ? (Deno.args[rotate + 1] ?? "").trim() : "";
if (rotate >= 0 && current === "") {
  console.error("✖ --rotate needs the current CREDENTIALS_SIGNING_KEYS value");
  Deno.exit(1);
}
const seed = newSigningSeed();
try {
  const keys = [seed, ...(current ? current.split(",").map((k) => k.trim()) : [])];
  const ids = await Promise.all(keys.map(async (k) => (await signingKey(k)).kid));
  console.error(
    `new key id: ${ids[0]}${ids.length > 1 ? `; kept: ${ids.slice(1).join(", ")}` : ""}`,
  );
  console.log(`CREDENTIALS_SIGNING_KEYS=${keys.join(",")}`);
} catch (e) {
  console.error(`✖ ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
