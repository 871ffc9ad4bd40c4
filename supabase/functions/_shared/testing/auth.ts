// Test fixtures for authentication: signing keys made with jose, a local JWKS endpoint served the
// way Supabase Auth serves /auth/v1/.well-known/jwks.json (keys can be published and withdrawn, to
// play a rotation), tokens minted as Auth mints them (ES256/RS256 with a kid, or HS256 with the
// legacy JWT secret), the legacy anon and service_role keys, and sb_publishable_/sb_secret_ API
// keys. One place for every test that authenticates: the shared module's unit tests and each
// function's tests (auth-suite.ts).
import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { accessTokenClaims } from "../../../../scripts/lib/access-token.ts";
import type { Claims, Sql } from "../db.ts";

export type AsymmetricAlg = "ES256" | "RS256";

/** An asymmetric signing key: its private key, and its public JWK as the JWKS publishes it. */
export interface SigningKey {
  alg: AsymmetricAlg;
  kid: string;
  privateKey: CryptoKey;
  /** The public key as Auth publishes it: kty, crv/x/y or n/e, kid, alg, use, key_ops. */
  jwk: JWK;
}

/** A fresh signing key (ES256 by default, as Supabase recommends), with a random kid. */
export async function signingKey(
  alg: AsymmetricAlg = "ES256",
  kid: string = crypto.randomUUID(),
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig", key_ops: ["verify"] };
  return { alg, kid, privateKey, jwk };
}

/** A shared secret as a JWKS `oct` key (how the platform and the local stack hand functions it). */
export function octKey(secret: string, kid?: string): JWK {
  const k = base64url.encode(new TextEncoder().encode(secret));
  return { kty: "oct", k, alg: "HS256", ...(kid ? { kid } : {}) };
}

/** A JSON Web Key Set, as SUPABASE_JWKS holds it. */
export const jwksJson = (...keys: JWK[]): string => JSON.stringify({ keys });

export interface JwksServer {
  /** The server's origin: what SUPABASE_URL is for a function verifying against it. */
  url: string;
  /** `${url}/auth/v1/.well-known/jwks.json` */
  jwksUrl: string;
  /** `${url}/auth/v1`: the `iss` of the tokens Auth issues. */
  issuer: string;
  /** How many times the key set was fetched. */
  fetches: () => number;
  /** Publishes these keys too (a new standby key). */
  publish: (...keys: SigningKey[]) => void;
  /** Stops publishing the key with this kid (it was revoked). */
  withdraw: (kid: string) => void;
  /** The next fetches answer with this status (an outage), until `recover()`. */
  fail: (status: number) => void;
  recover: () => void;
  close: () => Promise<void>;
}

/** Serves a JWKS at /auth/v1/.well-known/jwks.json on a free port, as Supabase Auth does. */
export function startJwksServer(...initial: SigningKey[]): JwksServer {
  const published = new Map(initial.map((k) => [k.kid, k]));
  let fetches = 0;
  let failing: number | null = null;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/auth/v1/.well-known/jwks.json") {
      return Response.json({ message: "no Route matched with those values" }, { status: 404 });
    }
    fetches++;
    if (failing !== null) return Response.json({ message: "unavailable" }, { status: failing });
    return Response.json({ keys: [...published.values()].map((k) => k.jwk) }, {
      headers: { "cache-control": "public, max-age=600" },
    });
  });
  const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  return {
    url,
    jwksUrl: `${url}/auth/v1/.well-known/jwks.json`,
    issuer: `${url}/auth/v1`,
    fetches: () => fetches,
    publish: (...keys) => keys.forEach((k) => published.set(k.kid, k)),
    withdraw: (kid) => void published.delete(kid),
    fail: (status) => void (failing = status),
    recover: () => void (failing = null),
    close: () => server.shutdown(),
  };
}

const now = () => Math.floor(Date.now() / 1000);

export interface SignOptions {
  /** Default: the key's kid. null: no kid in the header. */
  kid?: string | null;
  /** `exp` in seconds from now (negative: already expired); default the claims' own, or 600. */
  expiresIn?: number;
}

/** The claims with an `exp`: `expiresIn` from now when given, else theirs, else 600 s from now. */
function payload(claims: Record<string, unknown>, opts: SignOptions): Record<string, unknown> {
  const exp = opts.expiresIn !== undefined
    ? now() + opts.expiresIn
    : typeof claims.exp === "number"
    ? claims.exp
    : now() + 600;
  return { ...claims, exp };
}

/** Signs claims with an asymmetric key, as Auth signs access tokens (header alg, kid, typ JWT). */
export async function signWithKey(
  key: SigningKey,
  claims: Record<string, unknown>,
  opts: SignOptions = {},
): Promise<string> {
  const kid = opts.kid === undefined ? key.kid : opts.kid;
  return await new SignJWT(payload(claims, opts))
    .setProtectedHeader({ alg: key.alg, typ: "JWT", ...(kid ? { kid } : {}) })
    .sign(key.privateKey);
}

/** Signs claims HS256 with a shared secret (the legacy JWT secret), as legacy Auth did. */
export async function signWithSecret(
  secret: string,
  claims: Record<string, unknown>,
  opts: SignOptions = {},
): Promise<string> {
  return await new SignJWT(payload(claims, opts))
    .setProtectedHeader({ alg: "HS256", typ: "JWT", ...(opts.kid ? { kid: opts.kid } : {}) })
    .sign(new TextEncoder().encode(secret));
}

/** An unsecured JWT (`alg: none`, empty signature): what a forger sends. */
export function unsecuredToken(claims: Record<string, unknown>): string {
  const part = (v: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(v)));
  return `${part({ alg: "none", typ: "JWT" })}.${part({ exp: now() + 600, ...claims })}.`;
}

/** An sb_ API key of the shape Supabase issues: sb_secret_… / sb_publishable_… */
export const apiKey = (kind: "secret" | "publishable"): string =>
  `sb_${kind}_${base64url.encode(crypto.getRandomValues(new Uint8Array(24)))}`;

/** A user's access-token claims built as Supabase Auth builds them (through our token hook). */
export async function userClaims(sql: Sql, userId: string, issuer: string): Promise<Claims> {
  return await accessTokenClaims(sql, userId, { issuer });
}

/**
 * A test project: an ES256 signing key published by a local JWKS server, a legacy JWT secret with
 * its anon and service_role keys, and one secret and one publishable API key. `env` is what the
 * platform gives a function for it (the legacy secret as an `oct` key in SUPABASE_JWKS, as the
 * local stack does).
 */
export async function startTestProject() {
  const key = await signingKey("ES256");
  const jwks = startJwksServer(key);
  const legacySecret = `legacy-secret-${crypto.randomUUID()}`;
  const secretKey = apiKey("secret");
  const publishableKey = apiKey("publishable");
  const legacyExp = now() + 10 * 365 * 86400;
  const legacyAnonKey = await signWithSecret(legacySecret, { iss: "supabase", role: "anon" }, {
    expiresIn: legacyExp - now(),
  });
  const legacyServiceKey = await signWithSecret(
    legacySecret,
    { iss: "supabase", role: "service_role" },
    { expiresIn: legacyExp - now() },
  );
  const env: Record<string, string> = {
    SUPABASE_URL: jwks.url,
    SUPABASE_JWKS: jwksJson(octKey(legacySecret)),
    SUPABASE_SECRET_KEY: secretKey,
    SUPABASE_PUBLISHABLE_KEY: publishableKey,
    SUPABASE_ANON_KEY: legacyAnonKey,
    SUPABASE_SERVICE_ROLE_KEY: legacyServiceKey,
  };
  return {
    key,
    jwks,
    issuer: jwks.issuer,
    legacySecret,
    secretKey,
    publishableKey,
    legacyAnonKey,
    legacyServiceKey,
    env,
    /** An access token for the user, signed with the project's ES256 key (or `key`). */
    accessToken: async (sql: Sql, userId: string, opts: SignOptions & { key?: SigningKey } = {}) =>
      await signWithKey(opts.key ?? key, await userClaims(sql, userId, jwks.issuer), opts),
    /** The same, signed HS256 with the legacy JWT secret, as before the project moved to keys. */
    legacyAccessToken: async (sql: Sql, userId: string, opts: SignOptions = {}) =>
      await signWithSecret(legacySecret, await userClaims(sql, userId, jwks.issuer), opts),
    close: () => jwks.close(),
  };
}

/** Request headers: `bearer` as Authorization, `apikey` as apikey. */
export function authHeaders(
  creds: { bearer?: string; apikey?: string },
): Record<string, string> {
  return {
    ...(creds.bearer !== undefined ? { authorization: `Bearer ${creds.bearer}` } : {}),
    ...(creds.apikey !== undefined ? { apikey: creds.apikey } : {}),
  };
}
