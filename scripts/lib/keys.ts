// The local stack's JWT secret and API keys: the same demo values `supabase start` uses, so
// frontends configured for the Docker stack work unchanged against ours.
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";

export const JWT_SECRET = Deno.env.get("SUPABASE_JWT_SECRET") ??
  "super-secret-jwt-token-with-at-least-32-characters-long";

const DEMO_EXP = 1983812996; // the expiry the CLI's demo keys carry (2032-11-12)

export async function apiKeys(secret = JWT_SECRET): Promise<{ anon: string; serviceRole: string }> {
  return {
    anon: await signJwt({ iss: "supabase-demo", role: "anon" }, secret, DEMO_EXP),
    serviceRole: await signJwt({ iss: "supabase-demo", role: "service_role" }, secret, DEMO_EXP),
  };
}
