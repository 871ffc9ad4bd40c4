// The caller's JWT claims. Functions run behind the gateway with verify_jwt on, which has already
// checked the signature and expiry, so here the token is only decoded. Authorization is never
// decided here: the claims go to Postgres (asCaller), whose grants and policies decide.
import { decodeJwt } from "jose";
import type { Claims } from "./db.ts";
import { HttpError } from "./http.ts";
import { bearerToken } from "./jwt.ts";

export function callerClaims(req: Request): Claims {
  const token = bearerToken(req);
  if (!token) throw new HttpError(401, "unauthorized", "Sign in first.");
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new HttpError(401, "unauthorized", "The access token is malformed.");
  }
  if (typeof claims.role !== "string") {
    throw new HttpError(401, "unauthorized", "The token has no role.");
  }
  return claims as Claims;
}
