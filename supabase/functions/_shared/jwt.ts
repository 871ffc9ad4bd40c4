// HS256 JWTs with the legacy JWT secret, for the local stack's tooling: its anon and service_role
// keys and access tokens (scripts/lib/keys.ts, access-token.ts) and the local gateway's verify_jwt
// check (scripts/lib/gateway.ts). Functions never verify with this: they authenticate callers in
// auth.ts (JWKS, API keys; the legacy secret only as one of the project's keys).
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";

const encoder = new TextEncoder();

export async function signJwt(
  claims: Record<string, unknown>,
  secret: string,
  expiresAt: number,
): Promise<string> {
  return await new SignJWT({ ...claims, exp: expiresAt })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(encoder.encode(secret));
}

/** Verifies an HS256 token's signature and expiry (as the gateway does); throws otherwise. */
export async function verifyJwt(token: string, secret: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: ["HS256"] });
  return payload;
}

/** The `alg` of a token's protected header; throws a TypeError on a malformed token. */
export function jwtAlgorithm(token: string): string | undefined {
  return decodeProtectedHeader(token).alg;
}
