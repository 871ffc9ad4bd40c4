// POST /functions/v1/certificate-pdf {certificate_id}: the certificate as a PDF, by a short-lived
// signed URL: {certificate_id, serial, url, expires_in}.
//
// The certificate is read as the caller (its holder; the course's staff and admins read it too),
// so the table's policy decides who may download it. The PDF is rendered once (render.ts), stored
// in the private `certificates` bucket as <certificate id>/<serial>-<state>.pdf, and recorded with
// the state it shows (certificate_pdf_saved, service only); it is rendered again only when that
// state changes: revoked, or re-issued. The URL is signed for 5 minutes; clients never reach the
// bucket otherwise.
import { z } from "zod";
import { authEnv } from "../_shared/auth.ts";
import { databaseEnv, type Env } from "../_shared/config.ts";
import { asCaller, asService } from "../_shared/db.ts";
import { type Deps, lazyHandler, poolAndAuth } from "../_shared/handler.ts";
import { handle, HttpError, json, parseBody } from "../_shared/http.ts";
import { storageClient, storageEnv } from "../_shared/storage.ts";
import { missingGlyphs, renderCertificatePdf } from "./render.ts";

const config = storageEnv.extend({
  ...authEnv.shape,
  ...databaseEnv.shape,
  /** The frontend: its /certificates/<serial> page verifies a certificate (the QR code). */
  SITE_URL: z.url(),
  /** The platform's name on the certificate (the credentials' issuer). */
  CREDENTIALS_ISSUER_NAME: z.string().min(1).default("Coursebase"),
});
type Config = z.infer<typeof config>;

const input = z.object({ certificate_id: z.uuid() });

/** How long a download URL works, in seconds. */
export const URL_SECONDS = 300;
export const BUCKET = "certificates";

interface Row {
  id: string;
  serial: string;
  holder_name: string;
  course_title: string;
  issuer_name: string;
  issued_at: Date;
  revoked_at: Date | null;
  /** changed_at as Postgres prints it (microseconds kept), and in microseconds since the epoch. */
  changed_at: string;
  version: string;
  pdf_path: string | null;
  current: boolean;
}

export function createCertificatePdf(cfg: Config, deps: Deps & { fetch?: typeof fetch } = {}) {
  const { sql, auth, close } = poolAndAuth(cfg, deps);
  const storage = storageClient(cfg, deps.fetch);

  const fetch = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const { certificate_id } = await parseBody(req, input);
    const [cert] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx<Row[]>`
          select c.id, c.serial, c.holder_name, c.course_title, c.issuer_name, c.issued_at,
                 c.revoked_at, c.changed_at::text as changed_at,
                 (extract(epoch from c.changed_at) * 1000000)::bigint::text as version,
                 c.pdf_path, coalesce(c.pdf_rendered_for = c.changed_at, false) as current
          from public.certificates c where c.id = ${certificate_id}`,
    );
    if (!cert) {
      throw new HttpError(
        404,
        "certificate_not_found",
        "No certificate with this id is yours to see.",
      );
    }
    let path = cert.pdf_path;
    if (!path || !cert.current) {
      const missing = await missingGlyphs(cert.holder_name + cert.course_title + cert.issuer_name);
      if (missing.length) console.warn(`certificate ${cert.id}: no glyph for ${missing.join(" ")}`);
      const pdf = await renderCertificatePdf({
        serial: cert.serial,
        holderName: cert.holder_name,
        courseTitle: cert.course_title,
        issuerName: cert.issuer_name,
        issuedAt: new Date(cert.issued_at),
        revokedAt: cert.revoked_at ? new Date(cert.revoked_at) : null,
        verificationUrl: `${cfg.SITE_URL.replace(/\/$/, "")}/certificates/${cert.serial}`,
        platformName: cfg.CREDENTIALS_ISSUER_NAME,
      });
      path = `${cert.id}/${cert.serial}-${cert.version}.pdf`;
      await storage.upload(BUCKET, path, pdf, "application/pdf");
      // Sent as text: postgres.js would make a timestamptz parameter a Date (milliseconds), and
      // changed_at has microseconds.
      await asService(
        sql,
        (tx) =>
          tx`select public.certificate_pdf_saved(${cert.id}, ${path}, ${cert.changed_at}::text::timestamptz)`,
      );
    }
    const url = await storage.signedUrl(BUCKET, path, URL_SECONDS);
    return json(
      { certificate_id: cert.id, serial: cert.serial, url, expires_in: URL_SECONDS },
      200,
      { "cache-control": "no-store" },
    );
  });

  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) => lazyHandler(config, [], createCertificatePdf, env);

export default fromEnv();
