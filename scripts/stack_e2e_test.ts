// End to end through the running test stack: HTTP -> gateway -> function -> PostgreSQL.
import assert from "node:assert/strict";
import { testEnv as env } from "../supabase/functions/_shared/testing/env.ts";

Deno.test("stack: health through the gateway with the anon key", async () => {
  const res = await fetch(`${env("FUNCTIONS_URL")}/health`, {
    headers: { authorization: `Bearer ${env("SUPABASE_ANON_KEY")}` },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.database.reachable, true);
  assert.match(body.database.migration_version, /^\d{14}$/);
});

Deno.test("stack: health is public: no credential is needed, and a bad one is not looked at", async () => {
  for (const headers of [{}, { authorization: "Bearer not-a-jwt" }] as Record<string, string>[]) {
    const res = await fetch(`${env("FUNCTIONS_URL")}/health`, { headers });
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.equal((await res.json()).status, "ok");
  }
});

Deno.test("stack: with verify_jwt off the gateway lets every request through; the function answers", async () => {
  // checkout authenticates its callers itself; on the test stack Stripe is not set up, which it
  // says before anything else (the gateway used to answer {msg: "Error: Missing authorization
  // header"} here).
  const res = await fetch(`${env("FUNCTIONS_URL")}/checkout`, { method: "POST", body: "{}" });
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "stripe_not_configured");
});
