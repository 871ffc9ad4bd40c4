// An access token for a user, as Supabase Auth issues one at password sign-in: GoTrue's claims,
// passed through the project's custom access token hook (private.custom_access_token_hook, which
// adds user_role), signed HS256 with the project's JWT secret. For local scripts (there is no Auth
// server in local mode); the database must be the local stack's.
// (A shared scripts/lib/tokens.ts is on its way from the stack work; this small helper is
// stripe:simulate's until then.)
import type { Claims, Sql } from "../../supabase/functions/_shared/db.ts";
import { signJwt } from "../../supabase/functions/_shared/jwt.ts";

export interface UserToken {
  userId: string;
  email: string;
  claims: Claims;
  token: string;
}

/** Signs in `email` the way Auth would; throws when there is no such user. */
export async function accessTokenFor(
  sql: Sql,
  email: string,
  opts: { jwtSecret: string; supabaseUrl: string; ttlSeconds?: number },
): Promise<UserToken> {
  const [user] = await sql<
    {
      id: string;
      email: string;
      phone: string | null;
      app: Record<string, unknown> | null;
      meta: Record<string, unknown> | null;
    }[]
  >`
    select id, email, phone, raw_app_meta_data as app, raw_user_meta_data as meta
    from auth.users where lower(email) = lower(${email}) and deleted_at is null`;
  if (!user) throw new Error(`no user with the email ${email}`);
  const now = Math.floor(Date.now() / 1000);
  const exp = now + (opts.ttlSeconds ?? 3600);
  // GoTrue's claims (AccessTokenClaims), then the hook, exactly as Auth calls it.
  const event = {
    user_id: user.id,
    authentication_method: "password",
    claims: {
      iss: `${opts.supabaseUrl.replace(/\/$/, "")}/auth/v1`,
      aud: "authenticated",
      sub: user.id,
      exp,
      iat: now,
      email: user.email,
      phone: user.phone ?? "",
      app_metadata: user.app ?? {},
      user_metadata: user.meta ?? {},
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: now }],
      session_id: crypto.randomUUID(),
      is_anonymous: false,
    },
  };
  const [{ claims }] = await sql<{ claims: Claims }[]>`
    select private.custom_access_token_hook(${
    sql.json(event as Parameters<typeof sql.json>[0])
  }) -> 'claims' as claims`;
  const token = await signJwt(claims as Record<string, unknown>, opts.jwtSecret, exp);
  return { userId: user.id, email: user.email, claims, token };
}
