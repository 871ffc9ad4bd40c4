// HS256 JWTs: the local stack's anon and service_role keys, and verification of access tokens
// signed with the project's JWT secret (the local stack and legacy-secret projects).
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import type { Claims } from "./db.ts";

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

/** Verifies a token and returns its claims, which must name a request role. */
export async function verifyClaims(token: string, secret: string): Promise<Claims> {
  const payload = await verifyJwt(token, secret);
  if (typeof payload.role !== "string") throw new Error("token has no role claim");
  return payload as Claims;
}

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  const match = header?.match(/^bearer\s+(\S+)\s*$/i);
  return match ? match[1] : null;
}

/** The `alg` of a token's protected header; throws a TypeError on a malformed token. */
export function jwtAlgorithm(token: string): string | undefined {
  return decodeProtectedHeader(token).alg;
}
