// One-click unsubscribe tokens (RFC 8058): send-emails signs one for every non-essential email it
// sends, naming the recipient and the email's category, and the unsubscribe function verifies it.
// A token is `<user id>.<category>.<HMAC-SHA256>`, base64url, keyed by EMAIL_UNSUBSCRIBE_SECRET
// (a function secret, never in the database); it does not expire, as a link in an old email
// must keep working, and it can do one thing only: turn that category off for that user.
// Rotating the secret invalidates the links of emails already sent.
import { Buffer } from "node:buffer";
import { z } from "zod";
import { secret } from "./config.ts";

/** The email categories a recipient can unsubscribe from (essential email has no link). */
export const unsubscribeCategories = ["reminders", "updates", "digest", "marketing"] as const;
export type UnsubscribeCategory = (typeof unsubscribeCategories)[number];

/** The signing secret, shared by send-emails and unsubscribe. */
export const unsubscribeEnv = z.object({
  EMAIL_UNSUBSCRIBE_SECRET: secret(z.string().min(32, "must be at least 32 characters")),
});

const encoder = new TextEncoder();
/** Keeps these signatures apart from anything else the same secret might ever sign. */
const purpose = "coursebase/unsubscribe/v1";
const shape = new RegExp(
  `^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\\.(${
    unsubscribeCategories.join("|")
  })\\.([A-Za-z0-9_-]{43})$`,
);

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}

const message = (userId: string, category: string) =>
  encoder.encode(`${purpose}:${userId}:${category}`);

/** The token that unsubscribes `userId` from `category`. */
export async function signUnsubscribeToken(
  secret: string,
  userId: string,
  category: UnsubscribeCategory,
): Promise<string> {
  const id = userId.toLowerCase();
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), message(id, category));
  return `${id}.${category}.${Buffer.from(mac).toString("base64url")}`;
}

/** Who and what a genuine token unsubscribes; null for anything else (checked in constant time). */
export async function verifyUnsubscribeToken(
  secret: string,
  token: string,
): Promise<{ userId: string; category: UnsubscribeCategory } | null> {
  const m = token.match(shape);
  if (!m) return null;
  const [, userId, category, mac] = m;
  const signature = Buffer.from(mac, "base64url");
  // One spelling per signature: the last character's two spare bits must be zero.
  if (signature.toString("base64url") !== mac) return null;
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    signature,
    message(userId, category),
  );
  return ok ? { userId, category: category as UnsubscribeCategory } : null;
}

/** Whether emails of `category` carry an unsubscribe link (every category but essential). */
export const isUnsubscribable = (category: string): category is UnsubscribeCategory =>
  (unsubscribeCategories as readonly string[]).includes(category);
