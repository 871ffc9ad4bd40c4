// credentials: who may get a certificate's Open Badge, what it says, and an outside verifier's
// check end to end (the JWKS, the signature, the claims, the status bit before and after a
// revocation), across a key rotation.
import assert from "node:assert/strict";
import { createLocalJWKSet, decodeProtectedHeader, type JWK, jwtVerify } from "jose";
import {
  bitIsSet,
  bitstring,
  decodeList,
  encodeList,
  newSigningSeed,
  signingKey,
  STATUS_LIST_SIZE,
} from "../_shared/credentials.ts";
import { connect } from "../_shared/db.ts";
import { testFunctionAuth } from "../_shared/testing/auth-suite.ts";
import { startTestProject } from "../_shared/testing/auth.ts";
import { publishedCourse } from "../_shared/testing/catalog.ts";
import { quietly } from "../_shared/testing/console.ts";
import { postJson } from "../_shared/testing/requests.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";

const SITE = "https://learn.example.com";

testFunctionAuth({
  name: "credentials",
  fromEnv,
  setup: () =>
    Promise.resolve({ env: { CREDENTIALS_SIGNING_KEYS: newSigningSeed(), SITE_URL: SITE } }),
  body: { certificate_id: crypto.randomUUID() },
  expect: {
    user: { status: 404, code: "certificate_not_found" }, // read as the caller: not theirs
    anon: { status: 401, code: "42501" }, // anon may not read certificates: 401, as PostgREST
    service: { status: 404, code: "certificate_not_found" }, // a key holds no certificate
  },
});

Deno.test("credentials: the bitstring sets bit 0 as the first byte's high bit, and survives GZIP and multibase", async () => {
  const bits = bitstring(STATUS_LIST_SIZE, [0, 9, STATUS_LIST_SIZE - 1]);
  assert.equal(bits.length, 16384, "131,072 bits are 16 KiB");
  assert.equal(bits[0], 0x80);
  assert.equal(bits[1], 0x40);
  assert.equal(bits[16383], 0x01);
  const encoded = await encodeList(bits);
  assert.match(encoded, /^u[A-Za-z0-9_-]+$/, "multibase base64url, no padding");
  const decoded = await decodeList(encoded);
  assert.deepEqual(decoded, bits);
  assert.ok(bitIsSet(decoded, 9) && !bitIsSet(decoded, 8));
  assert.throws(() => bitstring(8, [8]), /out of range/);
});

Deno.test("credentials: a key's id is its thumbprint, the same whatever its place in the list", async () => {
  const seed = newSigningSeed();
  const a = await signingKey(seed);
  const b = await signingKey(seed);
  assert.equal(a.kid, b.kid);
  assert.match(a.kid, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(a.publicJwk.d, undefined, "the published key has no private part");
  assert.deepEqual(
    { kty: a.publicJwk.kty, crv: a.publicJwk.crv, alg: a.publicJwk.alg },
    { kty: "OKP", crv: "Ed25519", alg: "EdDSA" },
  );
  assert.notEqual((await signingKey(newSigningSeed())).kid, a.kid);
});

Deno.test("credentials: answers 503 credentials_not_configured until a signing key is set", async () => {
  for (const keys of [undefined, "replace_me", "not-a-seed"]) {
    const handler = fromEnv({
      SUPABASE_DB_URL: testDbUrl(),
      SUPABASE_URL: "http://127.0.0.1:9",
      SITE_URL: SITE,
      CREDENTIALS_SIGNING_KEYS: keys,
    });
    const res = await quietly(() =>
      handler.fetch(new Request("http://localhost/credentials/jwks.json"))
    );
    assert.equal(res.status, 503, String(keys));
    assert.equal((await res.json()).error.code, "credentials_not_configured");
    await handler.close();
  }
});

Deno.test("credentials: an outside verifier checks an issued certificate's Open Badge end to end, before and after its revocation, across a key rotation", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const project = await startTestProject();
  const tag = crypto.randomUUID().slice(0, 8);
  const owner = await createUser(sql, `cred-owner-${tag}@test.local`, {
    role: "instructor",
    metadata: { display_name: "Grete Grünewald" },
  });
  const admin = await createUser(sql, `cred-admin-${tag}@test.local`, { role: "admin" });
  const holder = await createUser(sql, `cred-holder-${tag}@test.local`, {
    metadata: { display_name: "Αλέξης Παπαδόπουλος" },
  });
  const other = await createUser(sql, `cred-other-${tag}@test.local`);
  const [oldSeed, newSeed] = [newSigningSeed(), newSigningSeed()];
  const env = (keys: string) => ({
    SUPABASE_DB_URL: testDbUrl(),
    SITE_URL: SITE,
    CREDENTIALS_SIGNING_KEYS: keys,
    ...project.env,
  });
  const before = fromEnv(env(oldSeed)); // before the rotation: the old key alone
  const after = fromEnv(env(`${newSeed},${oldSeed}`)); // the new key signs, the old one stays
  try {
    // The holder completes a one-lesson course: the database issues the certificate.
    const course = await publishedCourse(sql, owner, {
      slug: `cred-${tag}`,
      title: "Čeština pro začátečníky",
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
    const [cert] = await sql<{ id: string; serial: string; status_index: number }[]>`
      select id, serial, status_index from public.certificates
      where user_id = ${holder} and course_id = ${course.id}`;
    assert.ok(cert, "completing the course issued a certificate");

    // The holder gets their credential (signed by the old key, before the rotation).
    const ask = async (handler: typeof before, userId: string) =>
      await handler.fetch(postJson("credentials", { certificate_id: cert.id }, {
        authorization: `Bearer ${await project.accessToken(sql, userId)}`,
        apikey: project.publishableKey,
      }));
    const refused = await ask(before, other);
    assert.equal(refused.status, 404, "another student gets nothing");
    assert.equal((await refused.json()).error.code, "certificate_not_found");
    const got = await ask(before, holder);
    assert.equal(got.status, 200);
    const { credential, serial } = await got.json();
    assert.equal(serial, cert.serial);

    // ---- the outside verifier, with nothing but the credential and the public URLs
    const header = decodeProtectedHeader(credential);
    assert.deepEqual(
      { alg: header.alg, typ: header.typ, cty: header.cty },
      { alg: "EdDSA", typ: "vc+jwt", cty: "vc" },
    );
    const base = `${project.env.SUPABASE_URL}/functions/v1/credentials`;
    const unverified = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(
          atob(credential.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
          (c) => c.charCodeAt(0),
        ),
      ),
    );
    assert.equal(unverified.issuer.id, `${base}/issuer`);
    // It fetches the issuer's JWKS (now after the rotation: the new key and the old one).
    const jwksRes = await after.fetch(new Request(`${base}/jwks.json`));
    assert.equal(jwksRes.status, 200);
    const jwks = await jwksRes.json() as { keys: JWK[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [(await signingKey(newSeed)).kid, (await signingKey(oldSeed)).kid],
      "the JWKS lists the new key and keeps the old one, by stable ids",
    );
    assert.ok(jwks.keys.every((k) => k.d === undefined), "and no private part");
    const keySet = createLocalJWKSet(jwks);
    const { payload } = await jwtVerify(credential, keySet, {
      algorithms: ["EdDSA"],
      issuer: `${base}/issuer`,
      typ: "vc+jwt",
    });
    // The claims.
    assert.deepEqual(payload["@context"], [
      "https://www.w3.org/ns/credentials/v2",
      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]);
    assert.deepEqual(payload.type, ["VerifiableCredential", "OpenBadgeCredential"]);
    assert.equal(payload.jti, `urn:uuid:${cert.id}`);
    assert.equal(payload.id, payload.jti);
    const vc = payload as unknown as {
      issuer: { type: string[]; name: string };
      validFrom: string;
      credentialSubject: {
        type: string[];
        identifier: { identityType: string; identityHash: string }[];
        achievement: { type: string[]; name: string; criteria: { narrative: string } };
      };
      credentialStatus: {
        type: string;
        statusPurpose: string;
        statusListIndex: string;
        statusListCredential: string;
      };
      evidence: { id: string }[];
    };
    assert.deepEqual(vc.issuer.type, ["Profile"]);
    assert.equal(payload.nbf, Math.floor(new Date(vc.validFrom).getTime() / 1000));
    assert.deepEqual(vc.credentialSubject.type, ["AchievementSubject"]);
    assert.deepEqual(
      vc.credentialSubject.identifier.map((i) => [i.identityType, i.identityHash]),
      [["name", "Αλέξης Παπαδόπουλος"]],
    );
    assert.deepEqual(vc.credentialSubject.achievement.type, ["Achievement"]);
    assert.equal(vc.credentialSubject.achievement.name, "Čeština pro začátečníky");
    assert.match(vc.credentialSubject.achievement.criteria.narrative, /required lesson/);
    assert.equal(vc.evidence[0].id, `${SITE}/certificates/${cert.serial}`);
    assert.equal(vc.credentialStatus.type, "BitstringStatusListEntry");
    assert.equal(vc.credentialStatus.statusPurpose, "revocation");
    const position = Number(vc.credentialStatus.statusListIndex);
    assert.equal(position, cert.status_index % STATUS_LIST_SIZE);

    // The issuer profile it names.
    const profile = await (await after.fetch(new Request(`${base}/issuer`))).json();
    assert.deepEqual(
      { id: profile.id, type: profile.type, name: profile.name },
      { id: `${base}/issuer`, type: ["Profile"], name: "Coursebase" },
    );

    // The status bit, as the verifier reads it: fetch, verify, decompress, look.
    const statusBit = async () => {
      const res = await after.fetch(new Request(vc.credentialStatus.statusListCredential));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/vc+jwt");
      const { payload: list } = await jwtVerify(await res.text(), keySet, {
        algorithms: ["EdDSA"],
        issuer: `${base}/issuer`,
        typ: "vc+jwt",
      });
      assert.deepEqual(list.type, ["VerifiableCredential", "BitstringStatusListCredential"]);
      assert.equal(list.id, vc.credentialStatus.statusListCredential);
      const subject = list.credentialSubject as {
        type: string;
        statusPurpose: string;
        encodedList: string;
      };
      assert.equal(subject.type, "BitstringStatusList");
      assert.equal(subject.statusPurpose, "revocation");
      const bits = await decodeList(subject.encodedList);
      assert.equal(bits.length * 8, STATUS_LIST_SIZE);
      return bitIsSet(bits, position);
    };
    assert.equal(await statusBit(), false, "before the revocation: the bit is clear");
    await sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: admin, role: "authenticated" })
      }, true)`;
      await tx`select public.revoke_certificate(${cert.id}, 'Issued by mistake')`;
    });
    assert.equal(await statusBit(), true, "after the revocation: the bit is set");

    // After the rotation, the holder's credential is signed by the new key.
    const fresh = await (await ask(after, holder)).json();
    assert.equal(decodeProtectedHeader(fresh.credential).kid, (await signingKey(newSeed)).kid);
    await jwtVerify(fresh.credential, keySet, { algorithms: ["EdDSA"] });

    // A forged credential (a changed name, re-signed by a stranger's key) does not verify.
    const stranger = await signingKey(newSigningSeed());
    const { signCredential } = await import("../_shared/credentials.ts");
    const forged = await signCredential(
      { ...unverified, credentialSubject: { ...unverified.credentialSubject, identifier: [] } },
      { ...stranger, kid: (await signingKey(oldSeed)).kid },
    );
    await assert.rejects(() => jwtVerify(forged, keySet, { algorithms: ["EdDSA"] }));

    const missing = await after.fetch(new Request(`${base}/status/x`));
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "not_found");
  } finally {
    await before.close();
    await after.close();
    await project.close();
    await sql`delete from public.courses where slug = ${`cred-${tag}`}`;
    await deleteUsers(sql, [owner, admin, holder, other]);
    await sql.end();
  }
});
