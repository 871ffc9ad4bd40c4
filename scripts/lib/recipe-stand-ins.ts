// Stand-ins for the Auth and Storage calls docs/API.md's recipes make, for a stack that runs no
// Auth or Storage server (the local stack: PostgREST and the functions only). The recipe suite
// sends only those calls here, and only when `<url>/auth/v1/health` or `<url>/storage/v1/bucket`
// does not answer; on `supabase start` or a hosted project the real services answer them.
//
// Each answers as the service does, with the service's response shape, and decides nothing
// itself: Storage's writes and reads run in the database as the caller (role and JWT claims, as
// storage-api does), so the storage.objects policies of our migrations decide; Auth reads
// auth.users. No file bytes are kept. What they serve:
//   GET  /auth/v1/user                          the token's user (auth.getUser, auth.setSession)
//   POST /auth/v1/signup                        a sign-up with email confirmation on (auth.signUp)
//   POST /auth/v1/logout                        (auth.signOut)
//   POST /storage/v1/object/<bucket>/<path>     an upload (x-upsert: true replaces)
//   POST /storage/v1/object/sign/<bucket>/<path> a signed URL (createSignedUrl)
import { connect, type Sql } from "../../supabase/functions/_shared/db.ts";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { signJwt, verifyJwt } from "../../supabase/functions/_shared/jwt.ts";
import { publicJwks, type SigningJwk } from "./signing-keys.ts";

/** The bearer token of a request, or null. */
function bearerToken(req: Request): string | null {
  const match = req.headers.get("authorization")?.match(/^bearer\s+(\S+)\s*$/i);
  return match ? match[1] : null;
}

export interface StandIns {
  url: string;
  close: () => Promise<void>;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

/** GoTrue's error body. */
const authError = (status: number, code: string, msg: string, extra: object = {}) =>
  json({ code: status, error_code: code, msg, ...extra }, status);

/** storage-api's error body. */
const storageError = (status: number, statusCode: string, error: string, message: string) =>
  json({ statusCode, error, message }, status);

interface UserRow {
  id: string;
  aud: string;
  role: string;
  email: string;
  phone: string | null;
  email_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  is_anonymous: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A user as GoTrue's GET /user returns it. */
function userJson(u: UserRow) {
  return {
    id: u.id,
    aud: u.aud,
    role: u.role,
    email: u.email,
    email_confirmed_at: u.email_confirmed_at,
    phone: u.phone ?? "",
    confirmed_at: u.email_confirmed_at,
    last_sign_in_at: u.last_sign_in_at,
    app_metadata: u.app_metadata,
    user_metadata: u.user_metadata,
    identities: [],
    created_at: u.created_at,
    updated_at: u.updated_at,
    is_anonymous: u.is_anonymous,
  };
}

const userColumns = (sql: Sql) =>
  sql`id, aud, role, email, phone, email_confirmed_at, last_sign_in_at,
      raw_app_meta_data as app_metadata, raw_user_meta_data as user_metadata, is_anonymous,
      created_at, updated_at`;

/** supabase/config.toml: at least 10 characters with lower case, upper case and digits. */
function weakPassword(password: string): string[] {
  const reasons: string[] = [];
  if (password.length < 10) reasons.push("length");
  if (!/[a-z]/.test(password) || !/[A-Z]/.test(password) || !/[0-9]/.test(password)) {
    reasons.push("characters");
  }
  return reasons;
}

/**
 * The file part of a multipart body: its type and size. (storage-js names the part "", which
 * Request.formData() drops.)
 */
function filePart(contentType: string, body: Uint8Array): { type: string; size: number } | null {
  const boundary = contentType.match(/boundary=(?:"([^"]+)"|([^;]+))/);
  if (!boundary) return null;
  const text = new TextDecoder("latin1").decode(body); // one character per byte
  for (const part of text.split(`--${boundary[1] ?? boundary[2]}`)) {
    const end = part.indexOf("\r\n\r\n");
    if (end < 0) continue;
    const headers = part.slice(0, end);
    if (!/filename=/i.test(headers)) continue;
    const type = headers.match(/content-type:\s*([^\r\n]+)/i)?.[1].trim();
    return { type: type ?? "application/octet-stream", size: part.length - end - 4 - 2 };
  }
  return null;
}

export function startStandIns(
  opts: { dbUrl: string; jwtSecret: string; signingKey?: SigningJwk },
): StandIns {
  const sql = connect(opts.dbUrl, { max: 2 });
  const publicKeys = opts.signingKey ? createLocalJWKSet(publicJwks([opts.signingKey])) : null;

  /**
   * The caller, as the servers behind Supabase's gateway see it: a user's token (ES256 with the
   * stack's signing key, or legacy HS256), or the role of an API key (the gateway turns an sb_ key
   * into a token for its role; the legacy keys are tokens themselves).
   */
  async function claimsOf(req: Request): Promise<Record<string, unknown> | null> {
    const token = bearerToken(req) ?? req.headers.get("apikey");
    if (!token) return null;
    if (token.startsWith("sb_publishable_")) return { role: "anon" };
    if (token.startsWith("sb_secret_")) return { role: "service_role" };
    try {
      if (publicKeys && decodeProtectedHeader(token).alg === "ES256") {
        return (await jwtVerify(token, publicKeys, { algorithms: ["ES256"] })).payload;
      }
      return await verifyJwt(token, opts.jwtSecret);
    } catch {
      return null;
    }
  }

  /** Runs `fn` as the request's role with its claims, as storage-api does. */
  async function asRequester<T>(claims: Record<string, unknown>, fn: (tx: Sql) => Promise<T>) {
    const role = String(claims.role);
    if (!["anon", "authenticated", "service_role"].includes(role)) throw new Error("bad role");
    return await sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      return await fn(tx as unknown as Sql);
    }) as T;
  }

  async function auth(req: Request, path: string): Promise<Response> {
    if (req.method === "GET" && path === "/user") {
      const claims = await claimsOf(req);
      if (!claims || typeof claims.sub !== "string") {
        return authError(403, "bad_jwt", "invalid JWT: unable to parse or verify signature");
      }
      const [user] = await sql<UserRow[]>`
        select ${userColumns(sql)} from auth.users where id = ${claims.sub}::uuid`;
      if (!user) {
        return authError(403, "user_not_found", "User from sub claim in JWT does not exist");
      }
      return json(userJson(user));
    }
    if (req.method === "POST" && path === "/logout") return new Response(null, { status: 204 });
    if (req.method === "POST" && path === "/signup") {
      const body = await req.json() as {
        email?: string;
        password?: string;
        data?: Record<string, unknown>;
      };
      const email = body.email?.trim().toLowerCase() ?? "";
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        return authError(400, "email_address_invalid", `Email address "${email}" is invalid`);
      }
      const reasons = weakPassword(body.password ?? "");
      if (reasons.length) {
        return authError(
          422,
          "weak_password",
          "Password should be at least 10 characters and contain lower case, upper case and digits.",
          { weak_password: { reasons } },
        );
      }
      const [existing] = await sql<UserRow[]>`
        select ${userColumns(sql)} from auth.users where lower(email) = ${email}`;
      if (existing?.email_confirmed_at) {
        // With confirmations on, GoTrue answers a known address like a new one, with a made-up
        // user and no session, and sends nothing (no account enumeration).
        const now = new Date().toISOString();
        return json({
          id: crypto.randomUUID(),
          aud: "authenticated",
          role: "authenticated",
          email,
          phone: "",
          confirmation_sent_at: now,
          app_metadata: { provider: "email", providers: ["email"] },
          user_metadata: {},
          identities: [],
          created_at: now,
          updated_at: now,
          is_anonymous: false,
        });
      }
      if (existing) return json(userJson(existing)); // unconfirmed: GoTrue sends the mail again
      const [user] = await sql<UserRow[]>`
        with u as (
          insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
                                  confirmation_token, confirmation_sent_at, recovery_token,
                                  email_change_token_new, email_change, email_change_token_current,
                                  phone_change, phone_change_token, reauthentication_token,
                                  raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
          values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
                  'authenticated', ${email},
                  extensions.crypt(${body.password!}, extensions.gen_salt('bf')),
                  encode(extensions.gen_random_bytes(28), 'hex'), now(), '', '', '', '', '', '',
                  '', '{"provider":"email","providers":["email"]}',
                  ${sql.json((body.data ?? {}) as Parameters<typeof sql.json>[0])}, now(), now())
          returning *
        ), i as (
          insert into auth.identities (provider_id, user_id, identity_data, provider, created_at,
                                       updated_at)
          select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email,
                 'email_verified', false, 'phone_verified', false), 'email', now(), now()
          from u
        )
        select id, aud, role, email, phone, email_confirmed_at, last_sign_in_at,
               raw_app_meta_data as app_metadata, raw_user_meta_data as user_metadata,
               is_anonymous, created_at, updated_at
        from u`;
      return json(userJson(user));
    }
    return authError(404, "not_found", `the recipe suite's Auth stand-in does not serve ${path}`);
  }

  async function storage(req: Request, path: string): Promise<Response> {
    const claims = await claimsOf(req);
    if (!claims) return storageError(400, "403", "Unauthorized", "invalid signature");
    const sign = path.match(/^\/object\/sign\/([^/]+)\/(.+)$/);
    if (req.method === "POST" && sign) {
      const [bucket, name] = [sign[1], decodeURIComponent(sign[2])];
      const { expiresIn } = await req.json() as { expiresIn: number };
      const found = await asRequester(
        claims,
        (tx) => tx`select 1 from storage.objects where bucket_id = ${bucket} and name = ${name}`,
      );
      if (found.length === 0) return storageError(400, "404", "not_found", "Object not found");
      const now = Math.floor(Date.now() / 1000);
      const token = await signJwt(
        { url: `${bucket}/${name}`, iat: now },
        opts.jwtSecret,
        now + expiresIn,
      );
      return json({ signedURL: `/object/sign/${bucket}/${encodeURI(name)}?token=${token}` });
    }
    const upload = path.match(/^\/object\/([^/]+)\/(.+)$/);
    if ((req.method === "POST" || req.method === "PUT") && upload) {
      const [bucket, name] = [upload[1], decodeURIComponent(upload[2])];
      const upsert = req.headers.get("x-upsert") === "true";
      // storage-js sends a Blob or File as multipart form data (the file, cacheControl), other
      // bodies as they are, with their content type.
      let contentType = req.headers.get("content-type") ?? "application/octet-stream";
      let size: number;
      if (contentType.startsWith("multipart/form-data")) {
        const part = filePart(contentType, new Uint8Array(await req.arrayBuffer()));
        if (!part) return storageError(400, "400", "invalid_request", "no file in the form");
        [contentType, size] = [part.type, part.size];
      } else {
        size = (await req.arrayBuffer()).byteLength;
      }
      const [b] = await sql<
        { file_size_limit: number | null; allowed_mime_types: string[] | null }[]
      >`
        select file_size_limit, allowed_mime_types from storage.buckets where id = ${bucket}`;
      if (!b) return storageError(400, "404", "Bucket not found", "Bucket not found");
      if (b.allowed_mime_types && !b.allowed_mime_types.includes(contentType.split(";")[0])) {
        return storageError(
          400,
          "415",
          "invalid_mime_type",
          `mime type ${contentType} is not supported`,
        );
      }
      if (b.file_size_limit && size > b.file_size_limit) {
        return storageError(
          413,
          "413",
          "Payload too large",
          "The object exceeded the maximum allowed size",
        );
      }
      const metadata = { size, mimetype: contentType, cacheControl: "max-age=3600" };
      const owner = typeof claims.sub === "string" ? claims.sub : null;
      try {
        const [row] = await asRequester(claims, (tx) =>
          upsert
            ? tx<{ id: string }[]>`
              insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
              values (${bucket}, ${name}, ${owner}, ${owner}, ${tx.json(metadata)})
              on conflict (bucket_id, name) do update
                set metadata = excluded.metadata, owner = excluded.owner,
                    owner_id = excluded.owner_id, updated_at = now()
              returning id`
            : tx<{ id: string }[]>`
              insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
              values (${bucket}, ${name}, ${owner}, ${owner}, ${tx.json(metadata)})
              returning id`);
        return json({ Id: row.id, Key: `${bucket}/${name}` });
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "42501") {
          return storageError(
            400,
            "403",
            "Unauthorized",
            "new row violates row-level security policy",
          );
        }
        if (code === "23505") {
          return storageError(400, "409", "Duplicate", "The resource already exists");
        }
        throw e;
      }
    }
    return storageError(
      400,
      "404",
      "not_found",
      `the recipe suite's Storage stand-in does not serve ${path}`,
    );
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    try {
      if (url.pathname.startsWith("/auth/v1/")) {
        return await auth(req, url.pathname.slice("/auth/v1".length));
      }
      if (url.pathname.startsWith("/storage/v1/")) {
        return await storage(req, url.pathname.slice("/storage/v1".length));
      }
      return json({ message: "not found" }, 404);
    } catch (e) {
      console.error("recipe stand-in:", e);
      return json({ message: e instanceof Error ? e.message : String(e) }, 500);
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      await server.shutdown();
      await sql.end({ timeout: 5 });
    },
  };
}
