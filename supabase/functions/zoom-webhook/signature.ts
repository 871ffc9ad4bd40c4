// Zoom's webhook signature: x-zm-signature is "v0=" + HMAC-SHA256 (hex) of
// "v0:<x-zm-request-timestamp>:<raw body>" with the app's Secret Token, which also answers Zoom's
// endpoint.url_validation challenge.
import { constantTimeEqual } from "../_shared/auth.ts";
import { HttpError } from "../_shared/http.ts";

/** HMAC-SHA256 of `message` with `secret`, in hex. */
export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)),
  );
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The x-zm-signature Zoom sends with `body` at `timestamp`: "v0=" + hmacHex of "v0:<timestamp>:<body>". */
export async function zoomSignature(
  secret: string,
  timestamp: string,
  body: string,
): Promise<string> {
  return `v0=${await hmacHex(secret, `v0:${timestamp}:${body}`)}`;
}

/**
 * Refuses (401) a request whose timestamp is missing or more than `toleranceSeconds` away, or
 * whose signature is not Zoom's for `raw`, the body as received.
 */
export async function verifyZoomSignature(
  req: Request,
  raw: string,
  secret: string,
  toleranceSeconds: number,
): Promise<void> {
  const timestamp = req.headers.get("x-zm-request-timestamp") ?? "";
  const signature = req.headers.get("x-zm-signature") ?? "";
  const age = Math.abs(Date.now() / 1000 - Number(timestamp));
  if (!/^\d+$/.test(timestamp) || !(age <= toleranceSeconds)) {
    throw new HttpError(401, "stale_request", "The request timestamp is missing or too old.");
  }
  if (!constantTimeEqual(signature, await zoomSignature(secret, timestamp, raw))) {
    throw new HttpError(401, "bad_signature", "The request signature does not match.");
  }
}
