// The certificate as a PDF (pdf-lib): A4 landscape, the holder's name and the course in DejaVu
// Serif embedded through @pdf-lib/fontkit (Latin, Greek and Cyrillic with their diacritics), the
// serial, and a QR code (the qrcode package's matrix, drawn as vector squares) pointing to the
// public verification page. A revoked certificate says so across the page.
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, type PDFFont, type PDFPage, rgb } from "pdf-lib";
import qrcode from "qrcode";

/** The fonts ship with the function (config.toml static_files), copied from npm by `npm run certificate:fonts`. */
const fontUrl = (name: string) => new URL(`./fonts/${name}`, import.meta.url);

let fonts: Promise<{ regular: Uint8Array; bold: Uint8Array }> | undefined;
/** The font files, read once. */
export function loadFonts() {
  fonts ??= Promise.all([
    Deno.readFile(fontUrl("DejaVuSerif.ttf")),
    Deno.readFile(fontUrl("DejaVuSerif-Bold.ttf")),
  ]).then(([regular, bold]) => ({ regular, bold }));
  return fonts;
}

/** The characters of `text` the certificate font has no glyph for (they would print as boxes). */
export async function missingGlyphs(text: string): Promise<string[]> {
  const font = fontkit.create((await loadFonts()).bold);
  return [...new Set([...text])].filter((ch) =>
    !/\s/.test(ch) && !font.hasGlyphForCodePoint(ch.codePointAt(0)!)
  );
}

export interface CertificatePdf {
  serial: string;
  holderName: string;
  courseTitle: string;
  issuerName: string;
  issuedAt: Date;
  revokedAt: Date | null;
  /** The public verification page the QR code points to. */
  verificationUrl: string;
  /** The platform's name, printed as the issuer of record. */
  platformName: string;
}

const INK = rgb(0.13, 0.16, 0.22);
const ACCENT = rgb(0.16, 0.32, 0.55);
const MUTED = rgb(0.4, 0.43, 0.48);
const RED = rgb(0.75, 0.1, 0.1);

const day = (d: Date) =>
  new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(d);

/** Draws `text` centred at height `y`, shrunk to fit `maxWidth`. */
function centred(
  page: PDFPage,
  text: string,
  y: number,
  font: PDFFont,
  size: number,
  color = INK,
  maxWidth = 680,
) {
  const fitted = Math.min(
    size,
    (size * maxWidth) / Math.max(font.widthOfTextAtSize(text, size), 1),
  );
  const width = font.widthOfTextAtSize(text, fitted);
  page.drawText(text, { x: (page.getWidth() - width) / 2, y, size: fitted, font, color });
}

/** The part of the qrcode package used here (it ships no types; @types/qrcode drags in Node's). */
interface QrCode {
  create(
    text: string,
    options: { errorCorrectionLevel: "L" | "M" | "Q" | "H" },
  ): { modules: { size: number; get(row: number, col: number): number } };
}

/** The QR code's modules: which of size x size squares are dark. */
export function qrMatrix(
  url: string,
): { size: number; dark: (row: number, col: number) => boolean } {
  const { modules } = (qrcode as QrCode).create(url, { errorCorrectionLevel: "M" });
  return { size: modules.size, dark: (r, c) => modules.get(r, c) === 1 };
}

export async function renderCertificatePdf(c: CertificatePdf): Promise<Uint8Array> {
  const { regular, bold } = await loadFonts();
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const body = await doc.embedFont(regular, { subset: true });
  const strong = await doc.embedFont(bold, { subset: true });
  const page = doc.addPage([841.89, 595.28]); // A4 landscape
  const [w, h] = [page.getWidth(), page.getHeight()];

  page.drawRectangle({
    x: 24,
    y: 24,
    width: w - 48,
    height: h - 48,
    borderColor: ACCENT,
    borderWidth: 3,
  });
  page.drawRectangle({
    x: 34,
    y: 34,
    width: w - 68,
    height: h - 68,
    borderColor: ACCENT,
    borderWidth: 0.75,
  });

  centred(page, "CERTIFICATE OF COMPLETION", 468, strong, 30, ACCENT);
  centred(page, "This certifies that", 420, body, 14, MUTED);
  centred(page, c.holderName, 368, strong, 36);
  centred(page, "has completed the course", 326, body, 14, MUTED);
  centred(page, c.courseTitle, 286, strong, 24);
  centred(page, `taught by ${c.issuerName}`, 254, body, 13, MUTED);

  const left = 70;
  page.drawText(`Issued ${day(c.issuedAt)} by ${c.platformName}`, {
    x: left,
    y: 128,
    size: 12,
    font: body,
    color: INK,
  });
  page.drawText(`Certificate ${c.serial}`, { x: left, y: 108, size: 12, font: strong, color: INK });
  page.drawText("Verify it at", { x: left, y: 82, size: 10, font: body, color: MUTED });
  page.drawText(c.verificationUrl, { x: left, y: 68, size: 10, font: body, color: ACCENT });

  // The QR code, bottom right, with its quiet zone.
  const qr = qrMatrix(c.verificationUrl);
  const side = 112;
  const cell = side / (qr.size + 8);
  const [qx, qy] = [w - 70 - side, 56];
  page.drawRectangle({ x: qx, y: qy, width: side, height: side, color: rgb(1, 1, 1) });
  for (let r = 0; r < qr.size; r++) {
    for (let col = 0; col < qr.size; col++) {
      if (!qr.dark(r, col)) continue;
      page.drawRectangle({
        x: qx + (col + 4) * cell,
        y: qy + side - (r + 5) * cell,
        width: cell,
        height: cell,
        color: rgb(0, 0, 0),
      });
    }
  }

  if (c.revokedAt) {
    page.drawRectangle({ x: 34, y: 512, width: w - 68, height: 40, color: RED });
    centred(
      page,
      `REVOKED on ${day(c.revokedAt)}: this certificate is no longer valid`,
      526,
      strong,
      16,
      rgb(1, 1, 1),
    );
  }

  doc.setTitle(`Certificate ${c.serial}: ${c.courseTitle}`);
  doc.setSubject(`${c.holderName} completed ${c.courseTitle}`);
  doc.setAuthor(c.platformName);
  doc.setCreator(c.platformName);
  doc.setProducer("coursebase certificate-pdf (pdf-lib)");
  doc.setCreationDate(c.issuedAt);
  doc.setModificationDate(c.revokedAt ?? c.issuedAt);
  return await doc.save({ useObjectStreams: false });
}
