// Test personas from TypeScript: real auth.users rows (the sign-up trigger makes their profiles)
// and access-token claims built the way Supabase Auth builds them, through our token hook.
import { accessTokenClaims } from "../../../../scripts/lib/access-token.ts";
import type { Claims, Sql } from "../db.ts";
import { testEnv } from "./env.ts";

/**
 * A confirmed email user, written as Supabase Auth writes one, so it could sign in on a real Auth
 * server with the password Password123!: '' (never NULL) in every token and change column GoTrue
 * scans, a bcrypt hash, and an `email` identity. supabase/tests/setup/helpers.sql's
 * tests.create_user writes the same rows.
 */
export async function createUser(
  sql: Sql,
  email: string,
  opts: { role?: "instructor" | "admin"; metadata?: Record<string, unknown> } = {},
): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    with u as (
      insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                              confirmation_token, recovery_token, email_change_token_new, email_change,
                              email_change_token_current, phone_change, phone_change_token,
                              reauthentication_token, raw_app_meta_data, raw_user_meta_data,
                              created_at, updated_at)
      values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
              ${email}, extensions.crypt('Password123!', extensions.gen_salt('bf')), now(),
              '', '', '', '', '', '', '', '', '{"provider":"email","providers":["email"]}',
              ${sql.json((opts.metadata ?? {}) as Parameters<typeof sql.json>[0])}, now(), now())
      returning id, email
    )
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at,
                                 created_at, updated_at)
    select u.id::text, u.id,
           jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true,
                              'phone_verified', false),
           'email', now(), now(), now()
    from u
    returning user_id as id`;
  if (opts.role) {
    await sql`insert into public.user_roles (user_id, role) values (${id}, ${opts.role})`;
  }
  return id;
}

export async function deleteUsers(sql: Sql, ids: string[]): Promise<void> {
  await sql`delete from auth.users where id = any(${ids}::uuid[])`;
}

/**
 * The claims of an access token for the user, built as Supabase Auth builds them and passed
 * through private.custom_access_token_hook (scripts/lib/access-token.ts, shared with
 * `npm run token`).
 */
export async function claimsFor(sql: Sql, userId: string): Promise<Claims> {
  return await accessTokenClaims(sql, userId);
}

/** The test database, as the postgres role. */
export const testDbUrl = (): string => testEnv("SUPABASE_DB_URL");
