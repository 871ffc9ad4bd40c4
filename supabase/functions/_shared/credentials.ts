// Open Badges 3.0: a certificate as an OpenBadgeCredential (W3C Verifiable Credentials Data Model
// 2.0), secured as a VC-JWT (typ vc+jwt, cty vc) signed with Ed25519 (alg EdDSA); the issuer's
// Profile and public keys (a JWKS); and the Bitstring Status List credentials revocation flips a
// bit in. Used by the credentials function and by scripts/credentials-key.ts.
//
// The signing keys are an env secret, CREDENTIALS_SIGNING_KEYS: comma-separated Ed25519 private
// keys, each its 32-byte seed in base64url. The first signs; all are published in the JWKS, so a
// credential signed by an older key still verifies after a rotation. A key's id (kid) is its RFC
// 7638 thumbprint: stable, whatever order the keys are listed in.
import { base64url, calculateJwkThumbprint, type JWK, SignJWT } from "jose";
import { z } from "zod";
import { secret } from "./config.ts";

/** The 16-byte DER prefix that makes a 32-byte Ed25519 seed a PKCS #8 private key. */
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/** Entries in one Bitstring Status List (the SQL's private.certificate_status_list_size()). */
export const STATUS_LIST_SIZE = 131072;

export const VC_CONTEXT = "https://www.w3.org/ns/credentials/v2";
export const OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/** The env the credentials and the issuer are built from. */
export const credentialsEnv = z.object({
  /** Comma-separated base64url Ed25519 seeds (32 bytes each); the first signs. */
  CREDENTIALS_SIGNING_KEYS: secret().refine(
    (value) => value.split(",").every((k) => /^[A-Za-z0-9_-]{43}$/.test(k.trim())),
    { message: "must be comma-separated base64url Ed25519 seeds (npm run credentials:key)" },
  ),
  /** The issuing organisation's name, in the issuer Profile and every credential. */
  CREDENTIALS_ISSUER_NAME: z.string().min(1).default("Coursebase"),
  /** Where the credentials function is reached publicly (default: <SUPABASE_URL>/functions/v1/credentials). */
  CREDENTIALS_PUBLIC_URL: z.url().optional(),
  /** The platform's URL; SUPABASE_URL is set by the platform. */
  SUPABASE_URL: z.url(),
  /** The frontend: its /certificates/<serial> page verifies a certificate. */
  SITE_URL: z.url(),
});
export type CredentialsConfig = z.infer<typeof credentialsEnv>;

export interface SigningKey {
  kid: string;
  /** The private JWK (kty OKP, crv Ed25519, x, d). */
  privateJwk: JWK;
  /** The public JWK as published: kid, alg EdDSA, use sig. */
  publicJwk: JWK;
}

/** A new Ed25519 seed, base64url (what CREDENTIALS_SIGNING_KEYS lists). */
export function newSigningSeed(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The signing key of a base64url Ed25519 seed, with its thumbprint as kid. */
export async function signingKey(seed: string): Promise<SigningKey> {
  const raw = base64url.decode(seed.trim());
  if (raw.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(raw, 16);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const { kty, crv, x, d } = await crypto.subtle.exportKey("jwk", key) as JWK;
  const kid = await calculateJwkThumbprint({ kty, crv, x });
  return {
    kid,
    privateJwk: { kty, crv, x, d },
    publicJwk: { kty, crv, x, kid, alg: "EdDSA", use: "sig" },
  };
}

/** The keys of CREDENTIALS_SIGNING_KEYS, the signing one first. */
export async function signingKeys(value: string): Promise<SigningKey[]> {
  return await Promise.all(value.split(",").map((seed) => signingKey(seed)));
}

/** The public URLs of the credentials function. */
export function credentialUrls(config: CredentialsConfig) {
  const base = (config.CREDENTIALS_PUBLIC_URL ??
    `${config.SUPABASE_URL.replace(/\/$/, "")}/functions/v1/credentials`).replace(/\/$/, "");
  const site = config.SITE_URL.replace(/\/$/, "");
  return {
    base,
    issuer: `${base}/issuer`,
    jwks: `${base}/jwks.json`,
    statusList: (list: number) => `${base}/status/${list}`,
    verification: (serial: string) => `${site}/certificates/${encodeURIComponent(serial)}`,
    course: (courseId: string) => `${site}/courses/${courseId}`,
  };
}

/** The issuer's OB 3.0 Profile, as published at its id. */
export function issuerProfile(config: CredentialsConfig) {
  const urls = credentialUrls(config);
  return {
    "@context": [VC_CONTEXT, OB_CONTEXT],
    id: urls.issuer,
    type: ["Profile"],
    name: config.CREDENTIALS_ISSUER_NAME,
    url: config.SITE_URL,
  };
}

/** What a credential says about a certificate (a row of public.certificates). */
export interface CertificateRow {
  id: string;
  serial: string;
  course_id: string;
  holder_name: string;
  course_title: string;
  issuer_name: string;
  issued_at: Date | string;
  status_index: number;
}

const iso = (d: Date | string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The certificate's entry in its status list. */
export function statusEntry(config: CredentialsConfig, statusIndex: number) {
  const list = Math.floor(statusIndex / STATUS_LIST_SIZE);
  const position = statusIndex % STATUS_LIST_SIZE;
  const url = credentialUrls(config).statusList(list);
  return {
    id: `${url}#${position}`,
    type: "BitstringStatusListEntry",
    statusPurpose: "revocation",
    statusListIndex: String(position),
    statusListCredential: url,
  };
}

/** The certificate as an unsigned OpenBadgeCredential. */
export function openBadgeCredential(config: CredentialsConfig, cert: CertificateRow) {
  const urls = credentialUrls(config);
  return {
    "@context": [VC_CONTEXT, OB_CONTEXT],
    id: `urn:uuid:${cert.id}`,
    type: ["VerifiableCredential", "OpenBadgeCredential"],
    issuer: issuerProfile(config),
    validFrom: iso(cert.issued_at),
    name: `Certificate of completion: ${cert.course_title}`,
    credentialSubject: {
      type: ["AchievementSubject"],
      identifier: [{
        type: "IdentityObject",
        identityType: "name",
        hashed: false,
        identityHash: cert.holder_name,
      }],
      achievement: {
        id: urls.course(cert.course_id),
        type: ["Achievement"],
        achievementType: "Certificate",
        name: cert.course_title,
        description:
          `Completion of the course ${cert.course_title}, taught by ${cert.issuer_name}.`,
        criteria: {
          narrative:
            "Complete every required lesson of the course, including passing its required quizzes and assignments.",
        },
      },
    },
    credentialStatus: statusEntry(config, cert.status_index),
    evidence: [{
      id: urls.verification(cert.serial),
      type: ["Evidence"],
      name: `Certificate ${cert.serial}`,
      description: "The certificate's public verification page.",
    }],
  };
}

/**
 * A credential secured as a VC-JWT: the credential is the payload, with the JWT claims that
 * mirror it (iss = issuer id, jti = id, nbf = validFrom), signed EdDSA by `key`.
 */
export async function signCredential(
  credential: { id: string; issuer: { id: string } | string; validFrom: string },
  key: SigningKey,
): Promise<string> {
  const iss = typeof credential.issuer === "string" ? credential.issuer : credential.issuer.id;
  return await new SignJWT({ ...credential })
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "vc+jwt", cty: "vc" })
    .setIssuer(iss)
    .setJti(credential.id)
    .setNotBefore(Math.floor(new Date(credential.validFrom).getTime() / 1000))
    .setIssuedAt()
    .sign(key.privateJwk);
}

/** A bitstring of `size` bits with the given positions set (bit 0 is the first byte's high bit). */
export function bitstring(size: number, set: Iterable<number>): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(size / 8));
  for (const i of set) {
    if (i < 0 || i >= size) throw new Error(`status list position ${i} is out of range`);
    bytes[i >> 3] |= 0x80 >> (i & 7);
  }
  return bytes;
}

/** The multibase base64url (prefix "u", no padding) of the GZIP-compressed bitstring. */
export async function encodeList(bits: Uint8Array): Promise<string> {
  const gzipped = await new Response(
    new Blob([bits as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  return `u${base64url.encode(new Uint8Array(gzipped))}`;
}

/** An encodedList back to its bitstring (what a verifier does). */
export async function decodeList(encoded: string): Promise<Uint8Array> {
  if (!encoded.startsWith("u")) throw new Error("encodedList is not multibase base64url");
  const gzipped = base64url.decode(encoded.slice(1));
  return new Uint8Array(
    await new Response(
      new Blob([gzipped as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).arrayBuffer(),
  );
}

/** Whether bit `position` is set. */
export const bitIsSet = (bits: Uint8Array, position: number): boolean =>
  (bits[position >> 3] & (0x80 >> (position & 7))) !== 0;

/** Status list `list` as an unsigned BitstringStatusListCredential, revoked positions set. */
export async function statusListCredential(
  config: CredentialsConfig,
  list: number,
  revoked: number[],
  now = new Date(),
) {
  const url = credentialUrls(config).statusList(list);
  return {
    "@context": [VC_CONTEXT],
    id: url,
    type: ["VerifiableCredential", "BitstringStatusListCredential"],
    issuer: credentialUrls(config).issuer,
    validFrom: iso(now),
    credentialSubject: {
      id: `${url}#list`,
      type: "BitstringStatusList",
      statusPurpose: "revocation",
      encodedList: await encodeList(bitstring(STATUS_LIST_SIZE, revoked)),
      ttl: 300000,
    },
  };
}
