// certificate-pdf: who may download a certificate, the PDF itself (Unicode names, the QR code's
// target, a revocation), and that it is rendered once and again only when the certificate changes.
import assert from "node:assert/strict";
import { PDFDocument } from "pdf-lib";
import { connect } from "../_shared/db.ts";
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { publishedCourse } from "../_shared/testing/catalog.ts";
import { quietly } from "../_shared/testing/console.ts";
import { startFakeStorage } from "../_shared/testing/fake-storage.ts";
import { postJson } from "../_shared/testing/requests.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";
import { missingGlyphs, qrMatrix, renderCertificatePdf } from "./render.ts";

const SITE = "https://learn.example.com";

testFunctionAuth({
  name: "certificate-pdf",
  fromEnv,
  setup: () => Promise.resolve({ env: { SITE_URL: SITE, STORAGE_URL: "http://127.0.0.1:9" } }),
  body: { certificate_id: crypto.randomUUID() },
  expect: {
    user: { status: 404, code: "certificate_not_found" }, // read as the caller: not theirs
    anon: { status: 401, code: "42501" }, // anon may not read certificates: 401, as PostgREST
    service: { status: 404, code: "certificate_not_found" }, // no such certificate
  },
});

const names = {
  latin: "Zoë Ångström-Łukasiewicz Ñúñez",
  cyrillic: "Юлия Щербакова-Ёлкина",
  greek: "Αλέξης Παπαδόπουλος-Ξενάκης",
};

Deno.test("certificate-pdf: the font has every glyph of Latin, Cyrillic and Greek names with diacritics", async () => {
  for (const [script, name] of Object.entries(names)) {
    assert.deepEqual(await missingGlyphs(name), [], script);
  }
  assert.deepEqual(await missingGlyphs("王小明"), ["王", "小", "明"], "and says what it lacks");
});

Deno.test("certificate-pdf: renders a PDF with the font embedded, the names, and a QR code of the verification URL", async () => {
  const url = `${SITE}/certificates/7C3A-91F0-2B6D-E845-0A1C-5F93`;
  const base = {
    serial: "7C3A-91F0-2B6D-E845-0A1C-5F93",
    holderName: `${names.latin} · ${names.cyrillic} · ${names.greek}`,
    courseTitle: "Основы PostgreSQL: Πρώτα βήματα",
    issuerName: "Grete Grünewald",
    issuedAt: new Date("2026-11-20T10:00:00Z"),
    revokedAt: null,
    verificationUrl: url,
    platformName: "Coursebase",
  };
  const bytes = await renderCertificatePdf(base);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.ok(text.startsWith("%PDF-"));
  assert.match(text, /\/BaseFont \/DejaVuSerif-Bold-\d+/, "the bold face is embedded (a subset)");
  assert.match(text, /\/BaseFont \/DejaVuSerif-\d+/, "and the regular one");
  assert.ok(bytes.length < 100_000, `only the glyphs used: ${bytes.length} bytes`);
  assert.match(text, /\/FontFile2/, "as TrueType programs");
  assert.match(
    text,
    /\/ToUnicode/,
    "with their Unicode maps (the text can be copied and searched)",
  );
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  assert.equal(doc.getPageCount(), 1);
  assert.equal(doc.getTitle(), `Certificate ${base.serial}: ${base.courseTitle}`);
  assert.equal(doc.getSubject(), `${base.holderName} completed ${base.courseTitle}`);
  // The QR code encodes the verification URL: the matrix the page draws is qrcode's for that URL
  // (version 4 or more for a URL this long), with its finder patterns in three corners.
  const qr = qrMatrix(url);
  assert.ok(qr.size >= 29, `a ${qr.size}x${qr.size} code`);
  for (const [r, c] of [[0, 0], [0, qr.size - 1], [qr.size - 1, 0]]) assert.ok(qr.dark(r, c));
  assert.ok(!qr.dark(qr.size - 1, qr.size - 1) || qr.size > 0);
  const revoked = await renderCertificatePdf({
    ...base,
    revokedAt: new Date("2026-11-25T00:00:00Z"),
  });
  assert.notDeepEqual(revoked, bytes, "a revoked certificate's PDF differs");
  assert.equal(
    (await PDFDocument.load(revoked, { updateMetadata: false })).getModificationDate()
      ?.toISOString(),
    "2026-11-25T00:00:00.000Z",
  );
});

Deno.test("certificate-pdf: the holder gets a signed URL; the PDF is rendered once, again after a revocation, and refused to others", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const project = await startTestProject();
  const storage = startFakeStorage();
  const tag = crypto.randomUUID().slice(0, 8);
  const owner = await createUser(sql, `pdf-owner-${tag}@test.local`, { role: "instructor" });
  const admin = await createUser(sql, `pdf-admin-${tag}@test.local`, { role: "admin" });
  const holder = await createUser(sql, `pdf-holder-${tag}@test.local`, {
    metadata: { display_name: names.cyrillic },
  });
  const other = await createUser(sql, `pdf-other-${tag}@test.local`);
  const env = {
    SUPABASE_DB_URL: testDbUrl(),
    SITE_URL: SITE,
    ...project.env,
    STORAGE_URL: `${storage.url}/storage/v1`,
  };
  const handler = fromEnv(env);
  const asUser = (id: string) => async (userId = id) =>
    await handler.fetch(postJson("certificate-pdf", { certificate_id: certId }, {
      authorization: `Bearer ${await project.accessToken(sql, userId)}`,
    }));
  let certId = "";
  try {
    const course = await publishedCourse(sql, owner, {
      slug: `pdf-${tag}`,
      title: "Ελληνικά για αρχάριους",
      isFree: true,
    });
    await sql`select private.grant_access(${holder}, ${course.id}, 'grant')`;
    await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: holder, role: "authenticated" })
      }, true)`;
      await tx`select public.record_progress(${course.lessonId}, true)`;
    });
    [{ id: certId }] = await sql<{ id: string }[]>`
      select id from public.certificates where user_id = ${holder} and course_id = ${course.id}`;
    const ask = asUser(holder);
    const uploads = () =>
      storage.requests.filter((r) => r.method === "POST" && !r.path.includes("/sign/"));

    const refused = await ask(other);
    assert.equal(refused.status, 404, "another student can't download it");
    assert.equal((await refused.json()).error.code, "certificate_not_found");
    assert.equal(uploads().length, 0, "and nothing was rendered for them");

    const first = await ask();
    assert.equal(first.status, 200);
    const body = await first.json();
    assert.equal(body.expires_in, 300);
    assert.match(
      body.url,
      new RegExp(`^${storage.url}/storage/v1/object/sign/certificates/${certId}/`),
    );
    const pdf = await fetch(body.url);
    assert.equal(pdf.headers.get("content-type"), "application/pdf");
    const doc = await PDFDocument.load(new Uint8Array(await pdf.arrayBuffer()), {
      updateMetadata: false,
    });
    assert.match(
      doc.getSubject() ?? "",
      new RegExp(`^${names.cyrillic} completed Ελληνικά για αρχάριους`),
    );
    assert.equal(uploads().length, 1);
    assert.ok(uploads()[0].apikey?.startsWith("sb_secret_"), "uploaded with the service key");
    assert.ok(uploads()[0].upsert);
    const [saved] = await sql<{ pdf_path: string; current: boolean }[]>`
      select pdf_path, pdf_rendered_for = changed_at as current from public.certificates where id = ${certId}`;
    assert.ok(saved.current && body.url.includes(saved.pdf_path), "the state it shows is recorded");

    const again = await (await ask()).json();
    assert.equal(uploads().length, 1, "a second download renders nothing");
    assert.notEqual(again.url, body.url, "a fresh signed URL each time");

    const staff = await asUser(owner)();
    assert.equal(staff.status, 200, "the course's instructor downloads it too");
    await staff.body?.cancel();

    await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: admin, role: "authenticated" })
      }, true)`;
      await tx`select public.revoke_certificate(${certId}, 'Issued in error')`;
    });
    const afterRevocation = await (await ask()).json();
    assert.equal(uploads().length, 2, "revoked: rendered again");
    const [revoked] = await sql<{ pdf_path: string }[]>`
      select pdf_path from public.certificates where id = ${certId}`;
    assert.notEqual(revoked.pdf_path, saved.pdf_path, "under a new name");
    const revokedPdf = await PDFDocument.load(
      new Uint8Array(await (await fetch(afterRevocation.url)).arrayBuffer()),
      { updateMetadata: false },
    );
    const [{ revoked_at }] = await sql<{ revoked_at: Date }[]>`
      select revoked_at from public.certificates where id = ${certId}`;
    assert.equal(
      revokedPdf.getModificationDate()?.getTime(),
      Math.floor(revoked_at.getTime() / 1000) * 1000,
      "the new PDF is the revoked certificate's",
    );

    // Storage down: 503, and nothing recorded.
    const down = fromEnv({ ...env, STORAGE_URL: "http://127.0.0.1:9/storage/v1" });
    await sql`update public.certificates set pdf_rendered_for = null where id = ${certId}`;
    const res = await quietly(async () =>
      await down.fetch(postJson("certificate-pdf", { certificate_id: certId }, {
        authorization: `Bearer ${await project.accessToken(sql, holder)}`,
      }))
    );
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "storage_unavailable");
    await down.close();
  } finally {
    await handler.close();
    await storage.close();
    await project.close();
    await sql`delete from public.courses where slug = ${`pdf-${tag}`}`;
    await deleteUsers(sql, [owner, admin, holder, other]);
    await sql.end();
  }
});
