// End to end through the running test stack: HTTP -> gateway -> function -> PostgreSQL.
import assert from "node:assert/strict";

function env(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\``);
  return value;
}

Deno.test("stack: health through the gateway with the anon key", async () => {
  const res = await fetch(`${env("FUNCTIONS_URL")}/health`, {
    headers: { authorization: `Bearer ${env("SUPABASE_ANON_KEY")}` },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.database.reachable, true);
  assert.match(body.database.migration_version, /^\d{14}$/);
});

Deno.test("stack: health without a token is refused by the gateway", async () => {
  const res = await fetch(`${env("FUNCTIONS_URL")}/health`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { msg: "Error: Missing authorization header" });
});
