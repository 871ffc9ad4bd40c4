// Who is calling: every function that serves callers authenticates each request here, itself
// (config.toml has verify_jwt = false for every function), the way Supabase documents it for JWT
// signing keys and the publishable/secret API keys (README, "Functions: authentication"). It only
// says who the caller is; what they may do is decided by Postgres, to which the verified claims
// go (asCaller), as PostgREST sends them.
//
// Credentials, in this order:
// - `Authorization: Bearer <JWT>`: a user's access token, verified against the project's keys:
//   ES256 or RS256 with a `kid`, looked up in SUPABASE_JWKS first (when the platform gives it),
//   then in the JWKS Auth publishes at <SUPABASE_URL>/auth/v1/.well-known/jwks.json (jose's remote
//   key set, one per isolate, cached JWKS_CACHE_SECONDS, fetched again for an unknown kid); or
//   HS256 with the legacy JWT secret, only where one is configured (an `oct` key in SUPABASE_JWKS,
//   LEGACY_JWT_SECRET, or SUPABASE_JWT_SECRET). Any other `alg` (none, HS512, ...) is refused.
//   `exp` is required;
//   `iss` must be <SUPABASE_URL>/auth/v1 (or one of AUTH_JWT_ISSUER), `aud` "authenticated",
//   `role` "authenticated" and `sub` set. The legacy anon and service_role keys are JWTs too:
//   HS256 with the legacy secret, `role` anon or service_role, `iss` "supabase" (hosted) or
//   "supabase-demo" (the CLI), no `aud`. For a publishable or secret key, Supabase's gateway hands
//   the function a short-lived token of the key's role instead, signed with the project's signing
//   key: ES256/RS256, `iss` "supabase", no `aud`, no `sub`; it is the same API-key caller. A token
//   that is present and wrong is refused: there is no falling back to the apikey header.
// - `apikey: <key>` (when no bearer token is sent, or the bearer is the same key, as supabase-js
//   sends it): a secret key (SUPABASE_SECRET_KEYS / SUPABASE_SECRET_KEY, sb_secret_…) is a service
//   caller; a publishable key (SUPABASE_PUBLISHABLE_KEYS / SUPABASE_PUBLISHABLE_KEY,
//   sb_publishable_…) an anonymous one, never a service one. Keys are compared in constant time,
//   each against every configured key. The legacy anon or service_role key works there too.
// - nothing: 401 missing_token.
//
// Refusals are 401 {error: {code: "invalid_token" | "missing_token", message}} with
// `WWW-Authenticate: Bearer` (RFC 6750); 503 auth_unavailable when the JWKS endpoint can't be
// reached for a token whose key is not known yet.
import { createHash, timingSafeEqual } from "node:crypto";
import {
  base64url,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  type JWK,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { z } from "zod";
import type { Claims } from "./db.ts";
import { HttpError } from "./http.ts";

// ---------------------------------------------------------------------------------------- config

// The JSON and list values stay strings in the parsed config (so a parsed config parses again);
// each is checked here and read the same way by createAuth.
type Parsed<T> = { value: T } | { error: string };

function parseJson(text: string, what: string): Parsed<unknown> {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: `is not JSON (${what})` };
  }
}

const jwkList = z.union([
  z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).loose()
    .transform((set) => set.keys),
  z.array(z.record(z.string(), z.unknown())),
]);

/** SUPABASE_JWKS: a JSON Web Key Set, `{"keys": [...]}` or a bare array, of public or `oct` keys. */
function parseJwks(text: string): Parsed<JWK[]> {
  const json = parseJson(text, "a JSON Web Key Set");
  if ("error" in json) return json;
  const list = jwkList.safeParse(json.value);
  if (!list.success) return { error: 'must be {"keys": [...]} or an array of JWKs' };
  const keys = list.data as JWK[];
  for (const [i, key] of keys.entries()) {
    if (key.kty === "oct") {
      if (typeof key.k !== "string" || key.k === "") return { error: `key ${i} (oct) has no k` };
    } else if (["EC", "RSA", "OKP"].includes(String(key.kty))) {
      if ("d" in key) return { error: `key ${i} is a private key; publish public keys only` };
    } else {
      return { error: `key ${i} has an unknown kty` };
    }
  }
  const kids = keys.map((k) => k.kid).filter((kid) => kid !== undefined);
  if (new Set(kids).size !== kids.length) return { error: "two keys share a kid" };
  try {
    createLocalJWKSet({ keys: keys.filter((k) => k.kty !== "oct") });
  } catch (e) {
    return { error: `is not a valid JWKS: ${(e as Error).message}` };
  }
  return { value: keys };
}

/** A key map, `{"default": "sb_secret_…"}`, as the platform gives SUPABASE_SECRET_KEYS. */
function parseKeyMap(text: string, prefix: string): Parsed<Record<string, string>> {
  const json = parseJson(text, "an object of named keys");
  if ("error" in json) return json;
  const map = z.record(z.string(), z.string()).safeParse(json.value);
  if (!map.success) return { error: "must be an object of named keys" };
  const wrong = Object.entries(map.data).find(([, key]) => !key.startsWith(prefix));
  if (wrong) return { error: `key ${JSON.stringify(wrong[0])} must start with ${prefix}` };
  return { value: map.data };
}

/** AUTH_JWT_ISSUER: accepted `iss` values, comma-separated URLs. */
function parseIssuers(text: string): Parsed<string[]> {
  const issuers = text.split(",").map((i) => i.trim()).filter(Boolean);
  if (!issuers.length) return { error: "names no issuer" };
  const bad = issuers.find((i) => !z.url().safeParse(i).success);
  return bad === undefined ? { value: issuers } : { error: "must be URLs, comma-separated" };
}

/** A string the parser accepts, with the parser's reason as the issue otherwise. */
const checked = <T>(parse: (text: string) => Parsed<T>) =>
  z.string().superRefine((text, ctx) => {
    const parsed = parse(text);
    if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
  });

/** The value of a string `checked` accepted. */
function read<T>(parse: (text: string) => Parsed<T>, text: string): T {
  const parsed = parse(text);
  if ("error" in parsed) throw new Error(parsed.error); // authEnv refused it already
  return parsed.value;
}

/**
 * The environment the module reads (README, "Functions: authentication"). Everything but
 * SUPABASE_URL is optional; the legacy names stay accepted while a project migrates. Functions
 * spread its shape into their own config, so it is checked when the function starts.
 */
export const authEnv = z.object({
  /** The project's URL: the JWKS is at <SUPABASE_URL>/auth/v1/.well-known/jwks.json. */
  SUPABASE_URL: z.url(),
  /** The platform's JWKS: the same public keys Auth serves (an `oct` key in it would be honoured). */
  SUPABASE_JWKS: checked(parseJwks).optional(),
  /**
   * The legacy JWT secret, while a project still accepts legacy HS256 tokens: a function secret the
   * operator sets (`SUPABASE_` names are reserved on Supabase), provided by the local stack.
   */
  LEGACY_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** The same, where a self-hosted platform provides it under this name. */
  SUPABASE_JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SUPABASE_SECRET_KEYS: checked((t) => parseKeyMap(t, "sb_secret_")).optional(),
  SUPABASE_SECRET_KEY: z.string().startsWith("sb_secret_", "must start with sb_secret_")
    .optional(),
  SUPABASE_PUBLISHABLE_KEYS: checked((t) => parseKeyMap(t, "sb_publishable_")).optional(),
  SUPABASE_PUBLISHABLE_KEY: z.string().startsWith(
    "sb_publishable_",
    "must start with sb_publishable_",
  ).optional(),
  /** Accepted `iss` values, comma-separated; default <SUPABASE_URL>/auth/v1. */
  AUTH_JWT_ISSUER: checked(parseIssuers).optional(),
  /** How long the fetched JWKS is trusted before it is fetched again (seconds; default 600). */
  JWKS_CACHE_SECONDS: z.coerce.number().int().min(0).max(86400).default(600),
});
export type AuthConfig = z.infer<typeof authEnv>;

// ---------------------------------------------------------------------------------------- callers

/** Who called: a signed-in user, an anonymous caller, or a trusted service. */
export type CallerKind = "user" | "anon" | "service";

export interface Caller {
  kind: CallerKind;
  /**
   * The claims SQL sees (asCaller): the verified token's payload, or `{role}` for an API key
   * (anon for a publishable key, service_role for a secret key), as the gateway gives PostgREST.
   */
  claims: Claims;
  /** What identified the caller. */
  credential:
    | "access_token"
    | "legacy_api_key"
    | "gateway_api_key"
    | "secret_key"
    | "publishable_key";
  /**
   * The API key's name in SUPABASE_SECRET_KEYS / SUPABASE_PUBLISHABLE_KEYS ("default" for
   * SUPABASE_SECRET_KEY / SUPABASE_PUBLISHABLE_KEY).
   */
  keyName?: string;
}

export interface Authenticator {
  /** The caller, or an HttpError: 401 missing_token / invalid_token, 503 auth_unavailable. */
  authenticate(req: Request): Promise<Caller>;
  /**
   * authenticate(), then a service caller only (a secret key, the legacy service_role key):
   * anyone else, a publishable key included, gets 403 service_only.
   */
  requireService(req: Request): Promise<Caller>;
}

/** Tuning for tests; production uses the defaults. */
export interface AuthOptions {
  /** Seconds before an unknown kid may fetch the JWKS again (jose's cooldown; default 30). */
  cooldownSeconds?: number;
  /** How long a JWKS fetch may take (ms; default 5000). */
  timeoutMs?: number;
  /** After a failed JWKS fetch, answer 503 without fetching for this long (ms; default 5000). */
  failureBackoffMs?: number;
  /** Compares two keys; default constantTimeEqual (tests spy on it). */
  equal?: (a: string, b: string) => boolean;
}

/** The `iss` of the legacy anon and service_role keys: hosted projects and the Supabase CLI. */
export const LEGACY_KEY_ISSUERS = ["supabase", "supabase-demo"];
const ASYMMETRIC = ["ES256", "RS256"];
const REQUEST_ROLES = new Set(["anon", "authenticated", "service_role"]);

/**
 * Equality of two secrets whose timing says nothing about where they differ, nor whether their
 * lengths do: both are hashed (SHA-256, a fixed length) and the digests compared with
 * crypto.timingSafeEqual.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

// ------------------------------------------------------------------------------------- key sets

/** The JWKS endpoint could not be reached, or did not answer 200 with a key set. */
class JwksUnavailable extends Error {
  override name = "JwksUnavailable";
}

/** jose's remote key sets, one per URL and settings in this isolate, so their cache is shared. */
const remoteSets = new Map<string, JWTVerifyGetKey>();

/**
 * The JWKS at `url` (jose's createRemoteJWKSet: fetched on first use, trusted for `maxAgeMs`,
 * fetched again for an unknown kid at most every `cooldownMs`). A failed fetch throws
 * JwksUnavailable, and for `backoffMs` after it every lookup does too without fetching, so a
 * stream of forged kids can't hammer Auth while it is down.
 */
function remoteKeySet(
  url: URL,
  o: { maxAgeMs: number; cooldownMs: number; timeoutMs: number; backoffMs: number },
): JWTVerifyGetKey {
  const id = [url.href, o.maxAgeMs, o.cooldownMs, o.timeoutMs, o.backoffMs].join(" ");
  const known = remoteSets.get(id);
  if (known) return known;
  let failedAt = -Infinity;
  const failed = (why: string): never => {
    failedAt = performance.now();
    throw new JwksUnavailable(why);
  };
  const guardedFetch = async (input: string, init: RequestInit): Promise<Response> => {
    if (performance.now() - failedAt < o.backoffMs) {
      throw new JwksUnavailable("its last fetch failed moments ago");
    }
    let res: Response;
    try {
      res = await fetch(input, init);
    } catch (e) {
      return failed(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return failed(`it answered HTTP ${res.status}`);
    }
    return res;
  };
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: o.maxAgeMs,
    cooldownDuration: o.cooldownMs,
    timeoutDuration: o.timeoutMs,
    [customFetch]: guardedFetch,
  });
  const set: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey || e instanceof JwksUnavailable) throw e;
      // Not JSON, not a key set: Auth is answering something else.
      return failed(e instanceof Error ? e.message : String(e));
    }
  };
  remoteSets.set(id, set);
  return set;
}

// ------------------------------------------------------------------------------------- refusals

const invalid = (message: string) =>
  new HttpError(401, "invalid_token", message, undefined, {
    "www-authenticate": 'Bearer error="invalid_token"',
  });

/** The HttpError a failed verification answers. */
function refusal(e: unknown, jwksUrl: string): unknown {
  if (e instanceof HttpError) return e;
  if (e instanceof JwksUnavailable) {
    console.error(`auth: the JWKS at ${jwksUrl} could not be fetched: ${e.message}`);
    return new HttpError(
      503,
      "auth_unavailable",
      "Sign-in can't be checked right now. Please try again.",
      undefined,
      { "retry-after": "5" },
    );
  }
  if (e instanceof errors.JWTExpired) return invalid("The token has expired. Sign in again.");
  if (e instanceof errors.JWTClaimValidationFailed) {
    return invalid(`The token's ${e.claim} claim is not valid.`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) {
    return invalid("The token is signed with a key this project does not publish (kid).");
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return invalid("The token's signature is not valid.");
  }
  if (e instanceof errors.JOSEError) return invalid("The token is malformed.");
  return e;
}

// ---------------------------------------------------------------------------------- authenticate

const audienceIncludes = (aud: unknown, wanted: string) =>
  aud === wanted || (Array.isArray(aud) && aud.includes(wanted));

/** What a secret or a publishable key makes its caller: their role in SQL, and the credential. */
const apiKeyCallers = {
  service: { role: "service_role", credential: "secret_key" },
  anon: { role: "anon", credential: "publishable_key" },
} as const;

const keyMap = (text: string | undefined, prefix: string) =>
  text ? read((t) => parseKeyMap(t, prefix), text) : {};

/** Builds the request authenticator from the function's config (authEnv). */
export function createAuth(config: AuthConfig, opts: AuthOptions = {}): Authenticator {
  const base = config.SUPABASE_URL.replace(/\/+$/, "");
  const issuers = config.AUTH_JWT_ISSUER
    ? read(parseIssuers, config.AUTH_JWT_ISSUER)
    : [`${base}/auth/v1`];
  const jwksUrl = new URL(`${base}/auth/v1/.well-known/jwks.json`);
  const equal = opts.equal ?? constantTimeEqual;

  const platformKeys = config.SUPABASE_JWKS ? read(parseJwks, config.SUPABASE_JWKS) : [];
  const asymmetric = platformKeys.filter((k) => k.kty !== "oct");
  const local = asymmetric.length ? createLocalJWKSet({ keys: asymmetric }) : null;
  const remote = remoteKeySet(jwksUrl, {
    maxAgeMs: config.JWKS_CACHE_SECONDS * 1000,
    cooldownMs: (opts.cooldownSeconds ?? 30) * 1000,
    timeoutMs: opts.timeoutMs ?? 5000,
    backoffMs: opts.failureBackoffMs ?? 5000,
  });
  /** SUPABASE_JWKS first; a kid it does not hold is looked up in the project's JWKS endpoint. */
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (local) {
      try {
        return await local(header, token);
      } catch (e) {
        if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      }
    }
    return await remote(header, token);
  };
  /** The shared secrets of HS256 tokens: SUPABASE_JWKS's `oct` keys and the legacy secret. */
  const secrets = [
    ...platformKeys
      .filter((k) => k.kty === "oct" && (k.alg === undefined || k.alg === "HS256"))
      .map((k) => ({ kid: k.kid, key: base64url.decode(k.k!) })),
    ...[config.LEGACY_JWT_SECRET, config.SUPABASE_JWT_SECRET].filter((s): s is string => !!s)
      .map((s) => ({ kid: undefined, key: new TextEncoder().encode(s) })),
  ];
  const apiKeys: { kind: "service" | "anon"; name: string; value: string }[] = [
    ...Object.entries(keyMap(config.SUPABASE_SECRET_KEYS, "sb_secret_")).map(([name, value]) => ({
      kind: "service" as const,
      name,
      value,
    })),
    ...(config.SUPABASE_SECRET_KEY
      ? [{ kind: "service" as const, name: "default", value: config.SUPABASE_SECRET_KEY }]
      : []),
    ...Object.entries(keyMap(config.SUPABASE_PUBLISHABLE_KEYS, "sb_publishable_")).map((
      [name, value],
    ) => ({
      kind: "anon" as const,
      name,
      value,
    })),
    ...(config.SUPABASE_PUBLISHABLE_KEY
      ? [{ kind: "anon" as const, name: "default", value: config.SUPABASE_PUBLISHABLE_KEY }]
      : []),
  ];

  /** Verifies a JWT's signature and `exp`; the claims are checked by `caller`. */
  async function verify(token: string): Promise<{ payload: JWTPayload; shared: boolean }> {
    let header;
    try {
      if (token.split(".").length !== 3) throw new Error();
      header = decodeProtectedHeader(token);
    } catch {
      throw invalid("The token is not a JWT.");
    }
    const required = { requiredClaims: ["exp"] };
    if (header.alg === "HS256") {
      if (!secrets.length) {
        throw invalid("Tokens signed with a shared secret (HS256) are not accepted here.");
      }
      for (const s of secrets.filter((s) => !header.kid || !s.kid || s.kid === header.kid)) {
        try {
          const { payload } = await jwtVerify(token, s.key, { ...required, algorithms: ["HS256"] });
          return { payload, shared: true };
        } catch (e) {
          if (!(e instanceof errors.JWSSignatureVerificationFailed)) throw e;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
    if (typeof header.alg === "string" && ASYMMETRIC.includes(header.alg)) {
      if (typeof header.kid !== "string" || header.kid === "") {
        throw invalid("The token does not name its signing key (kid).");
      }
      const { payload } = await jwtVerify(token, keyFor, { ...required, algorithms: ASYMMETRIC });
      return { payload, shared: false };
    }
    throw invalid("The token's signing algorithm is not accepted.");
  }

  /** The caller a verified token names, once its claims pass. */
  function caller(
    { payload, shared }: { payload: JWTPayload; shared: boolean },
    header: "authorization" | "apikey",
  ): Caller {
    const role = payload.role;
    if (typeof role !== "string" || !REQUEST_ROLES.has(role)) {
      throw invalid("The token's role is not accepted.");
    }
    if (role === "authenticated") {
      if (header === "apikey") {
        throw invalid("A user's token goes in the Authorization header, not in apikey.");
      }
      if (!issuers.includes(String(payload.iss))) {
        throw invalid("The token was not issued by this project's Auth server (iss).");
      }
      if (!audienceIncludes(payload.aud, "authenticated")) {
        throw invalid("The token is not meant for this project's API (aud).");
      }
      if (typeof payload.sub !== "string" || payload.sub === "") {
        throw invalid("The token names no user (sub).");
      }
      return { kind: "user", claims: payload as Claims, credential: "access_token" };
    }
    // anon, service_role: API keys. The legacy keys are such tokens, signed with the legacy
    // secret; for a publishable or secret key, Supabase's gateway hands the function a short-lived
    // token of the key's role signed with the project's signing key instead (only the platform
    // holds that key).
    const keyIssuers = shared ? [...LEGACY_KEY_ISSUERS, ...issuers] : LEGACY_KEY_ISSUERS;
    if (!keyIssuers.includes(String(payload.iss))) {
      throw invalid("The key was not issued for this project (iss).");
    }
    if (payload.aud !== undefined) throw invalid("The key is not an API key (aud).");
    if (!shared && payload.sub !== undefined) throw invalid("The key is not an API key (sub).");
    return {
      kind: role === "service_role" ? "service" : "anon",
      claims: payload as Claims,
      credential: shared ? "legacy_api_key" : "gateway_api_key",
    };
  }

  /** The caller an apikey header names: a secret or publishable key, or a legacy key. */
  async function fromApiKey(key: string): Promise<Caller> {
    // Every configured key is compared, whichever matches, so the time taken says nothing.
    let match: (typeof apiKeys)[number] | undefined;
    for (const k of apiKeys) {
      if (equal(key, k.value) && !match) match = k;
    }
    if (match) {
      const { role, credential } = apiKeyCallers[match.kind];
      return { kind: match.kind, claims: { role }, credential, keyName: match.name };
    }
    if (key.split(".").length === 3) return caller(await verify(key), "apikey");
    throw invalid("The API key is not one of this project's keys.");
  }

  async function identify(req: Request): Promise<Caller> {
    const authorization = req.headers.get("authorization")?.trim() || null;
    const apikey = req.headers.get("apikey")?.trim() || null;
    let bearer: string | null = null;
    if (authorization !== null) {
      const m = authorization.match(/^bearer\s+(\S+)$/i);
      if (m) bearer = m[1];
      // Otherwise only a raw copy of the apikey passes: Kong sets one for the legacy keys.
      else if (authorization !== apikey) {
        throw invalid('The Authorization header must be "Bearer <token>".');
      }
    }
    // supabase-js sends an API key on both headers; then the apikey decides.
    if (bearer !== null && bearer !== apikey) {
      if (bearer.startsWith("sb_")) {
        throw invalid("API keys go in the apikey header, not in Authorization.");
      }
      return caller(await verify(bearer), "authorization");
    }
    if (apikey !== null) return await fromApiKey(apikey);
    throw new HttpError(401, "missing_token", "Sign in, or send an API key.", undefined, {
      "www-authenticate": "Bearer",
    });
  }

  const authenticate = async (req: Request): Promise<Caller> => {
    try {
      return await identify(req);
    } catch (e) {
      throw refusal(e, jwksUrl.href);
    }
  };
  return {
    authenticate,
    requireService: async (req) => {
      const found = await authenticate(req);
      if (found.kind !== "service") {
        throw new HttpError(
          403,
          "service_only",
          "Only a trusted service may call this function: send a secret API key.",
        );
      }
      return found;
    },
  };
}
