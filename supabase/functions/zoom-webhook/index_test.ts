// zoom-webhook: who may call it. Zoom signs its requests (x-zm-signature); no Supabase credential
// is asked for or looked at, and none stands in for Zoom's signature. The events themselves are
// tested in ../tests/zoom_test.ts.
import assert from "node:assert/strict";
import { startTestProject } from "../_shared/testing/auth.ts";
import { testDbUrl } from "../_shared/testing/users.ts";
import { fromEnv } from "./index.ts";
import { hmacHex, zoomSignature } from "./signature.ts";
import { postJson } from "../_shared/testing/requests.ts";

// Tests sign with the function's own zoomSignature, so the algorithm is written once; these
// vectors, computed apart from it (openssl dgst -sha256 -hmac), keep it honest.
Deno.test("zoom-webhook: the signature and the validation answer are Zoom's HMAC-SHA256, in hex", async () => {
  const secret = "zoom-webhook-secret-token";
  assert.equal(
    await zoomSignature(
      secret,
      "1700000000",
      '{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}',
    ),
    "v0=c590075124a3d0862e726c6aaa3a4273999fb44a90394dd2396572b770f6e4c9",
  );
  assert.equal(
    await hmacHex(secret, "qgg8vlvZRS6UYooatFL8Aw"),
    "303d596c41398000067ebaef31f940ff99945195fe501fc03a7549f882aa6c08",
  );
});

Deno.test("zoom-webhook: no Supabase credential is asked for or looked at; only Zoom's signature counts", async () => {
  const secret = "zoom-webhook-secret-token";
  const project = await startTestProject();
  // No SUPABASE_URL, no keys: the webhook reads none of the authentication settings.
  const hook = fromEnv({ SUPABASE_DB_URL: testDbUrl(), ZOOM_WEBHOOK_SECRET_TOKEN: secret });
  const body = JSON.stringify({
    event: "endpoint.url_validation",
    event_ts: Date.now(),
    payload: { plainToken: "public-by-design" },
  });
  const post = (headers: Record<string, string>) =>
    hook.fetch(
      postJson("zoom-webhook", body, headers),
    );
  try {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signed = {
      "x-zm-request-timestamp": timestamp,
      "x-zm-signature": await zoomSignature(secret, timestamp, body),
    };
    for (
      const extra of [
        {},
        { authorization: "Bearer not-a-jwt" },
        { apikey: "sb_publishable_not-this-project" },
      ] as Record<string, string>[]
    ) {
      const res = await post({ ...signed, ...extra });
      assert.equal(res.status, 200, JSON.stringify(extra));
      assert.equal((await res.json()).plainToken, "public-by-design");
    }
    const keyOnly = await post({
      "x-zm-request-timestamp": timestamp,
      apikey: project.secretKey,
      authorization: `Bearer ${project.legacyServiceKey}`,
    });
    assert.equal(keyOnly.status, 401, "the project's keys do not stand in for Zoom's signature");
    assert.equal((await keyOnly.json()).error.code, "bad_signature");
  } finally {
    await hook.close();
    await project.close();
  }
});
