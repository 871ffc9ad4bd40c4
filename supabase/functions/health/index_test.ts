import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { testDbUrl } from "../_shared/testing/users.ts";
import { createHealth } from "./index.ts";

const latestMigration = readdirSync(new URL("../../migrations/", import.meta.url))
  .filter((f) => f.endsWith(".sql"))
  .map((f) => f.split("_")[0])
  .sort()
  .at(-1);

Deno.test("health: 200 with the database's latest applied migration", async () => {
  const health = createHealth({ SUPABASE_DB_URL: testDbUrl() });
  try {
    const res = await health.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.deepEqual(body.database, { reachable: true, migration_version: latestMigration });
    assert.ok(!Number.isNaN(Date.parse(body.time)));
  } finally {
    await health.close();
  }
});

Deno.test("health: 503 and reachable=false when the database is down", async () => {
  const health = createHealth({
    SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:1/postgres",
  });
  try {
    const res = await health.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.deepEqual(body.database, { reachable: false, migration_version: null });
  } finally {
    await health.close();
  }
});

Deno.test("health: other methods get 405 in the standard error shape", async () => {
  const health = createHealth({ SUPABASE_DB_URL: testDbUrl() });
  const res = await health.fetch(new Request("http://localhost/health", { method: "POST" }));
  assert.equal(res.status, 405);
  assert.deepEqual(await res.json(), {
    error: { code: "method_not_allowed", message: "Use GET." },
  });
  await health.close();
});

Deno.test("health: public: answers without a credential, and never looks at one", async () => {
  const health = createHealth({ SUPABASE_DB_URL: testDbUrl() });
  try {
    for (
      const headers of [
        {},
        { authorization: "Bearer not-a-jwt" },
        { apikey: "sb_secret_not-this-project" },
      ] as Record<string, string>[]
    ) {
      const res = await health.fetch(new Request("http://localhost/health", { headers }));
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.equal((await res.json()).status, "ok");
    }
  } finally {
    await health.close();
  }
});
