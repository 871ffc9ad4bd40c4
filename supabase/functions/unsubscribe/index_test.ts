import assert from "node:assert/strict";
import { connect } from "../_shared/db.ts";
import { createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { postJson } from "../_shared/testing/requests.ts";
import { withConsoleError } from "../_shared/testing/console.ts";
import { signUnsubscribeToken, verifyUnsubscribeToken } from "../_shared/unsubscribe.ts";
import { createUnsubscribe, fromEnv, unsubscribeConfig } from "./index.ts";

const SECRET = "test-unsubscribe-secret-0123456789abcdef";

Deno.test("unsubscribe tokens: a token names one user and one category, and any change breaks it", async () => {
  const user = "3f0c2c52-7c1a-4b8e-9a51-4a3c1f8d2e10";
  const token = await signUnsubscribeToken(SECRET, user, "digest");
  assert.match(token, /^3f0c2c52-7c1a-4b8e-9a51-4a3c1f8d2e10\.digest\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await verifyUnsubscribeToken(SECRET, token), {
    userId: user,
    category: "digest",
  });
  const mac = token.split(".")[2];
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const forged = [
    token.replace(".digest.", ".updates."), // another category
    token.replace("3f0c2c52", "3f0c2c53"), // another user
    `${token.slice(0, -10)}${token.at(-10) === "A" ? "B" : "A"}${token.slice(-9)}`, // another signature
    `${token.slice(0, -1)}${b64[b64.indexOf(token.at(-1)!) ^ 1]}`, // the same bytes, spelled otherwise
    `${user}.essential.${mac}`, // essential email has no unsubscribe
    `${user}.digest`,
    "",
    "not-a-token",
  ];
  for (const t of forged) assert.equal(await verifyUnsubscribeToken(SECRET, t), null, t);
  assert.equal(
    await verifyUnsubscribeToken("another-secret-0123456789abcdef-0123456789", token),
    null,
    "a token signed with another secret",
  );
});

async function setup() {
  const sql = connect(testDbUrl(), { max: 2 });
  const config = unsubscribeConfig.parse({
    SUPABASE_DB_URL: testDbUrl(),
    EMAIL_UNSUBSCRIBE_SECRET: SECRET,
    SITE_URL: "https://learn.example.com",
  });
  const handler = createUnsubscribe(config);
  const user = await createUser(sql, `unsub-${crypto.randomUUID().slice(0, 8)}@test.local`);
  const prefs = () =>
    sql<{ reminders: boolean; updates: boolean; digest: boolean }[]>`
      select reminders, updates, digest from public.email_preferences where user_id = ${user}`
      .then((r) => r[0] ?? null);
  const teardown = async () => {
    await handler.close();
    await deleteUsers(sql, [user]);
    await sql.end();
  };
  return { sql, handler, user, prefs, teardown };
}

Deno.test("unsubscribe: a mail client's one-click POST turns the category off and drops what is pending", async () => {
  const t = await setup();
  try {
    const [{ id: pending }] = await t.sql<{ id: string }[]>`
      select private.enqueue_email('weekly_digest', 'digest', ${t.user}, '{}') as id`;
    assert.ok(pending, "a digest is waiting in the outbox");
    const token = await signUnsubscribeToken(SECRET, t.user, "digest");
    // As RFC 8058 has mail clients send it: the List-Unsubscribe URL, the form body.
    const res = await t.handler.fetch(
      new Request(`http://localhost/unsubscribe?token=${token}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "List-Unsubscribe=One-Click",
      }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { unsubscribed: true, category: "digest" });
    assert.deepEqual(await t.prefs(), { reminders: true, updates: true, digest: false });
    const [row] = await t.sql<{ status: string }[]>`
      select status from private.email_outbox where id = ${pending}`;
    assert.equal(row.status, "dead", "the pending digest is not sent");

    const again = await t.handler.fetch(
      new Request(`http://localhost/unsubscribe?token=${token}`, { method: "POST" }),
    );
    assert.equal(again.status, 200, "repeating it is harmless");
    assert.deepEqual(await t.prefs(), { reminders: true, updates: true, digest: false });
  } finally {
    await t.teardown();
  }
});

Deno.test("unsubscribe: the confirmation page POSTs the token as JSON", async () => {
  const t = await setup();
  try {
    const token = await signUnsubscribeToken(SECRET, t.user, "updates");
    const res = await t.handler.fetch(postJson("unsubscribe", { token }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { unsubscribed: true, category: "updates" });
    assert.deepEqual(await t.prefs(), { reminders: true, updates: false, digest: true });
  } finally {
    await t.teardown();
  }
});

Deno.test("unsubscribe: GET (the footer link, which scanners follow) changes nothing and redirects to the confirmation page", async () => {
  const t = await setup();
  try {
    const token = await signUnsubscribeToken(SECRET, t.user, "digest");
    const res = await t.handler.fetch(new Request(`http://localhost/unsubscribe?token=${token}`));
    assert.equal(res.status, 303);
    const to = new URL(res.headers.get("location")!);
    assert.equal(to.origin + to.pathname, "https://learn.example.com/unsubscribe");
    assert.equal(to.searchParams.get("token"), token);
    assert.equal(to.searchParams.get("category"), "digest");
    assert.equal(await t.prefs(), null, "no preference was written");
  } finally {
    await t.teardown();
  }
});

Deno.test("unsubscribe: a missing, altered or foreign token is 400 invalid_unsubscribe_token and changes nothing", async () => {
  const t = await setup();
  try {
    const token = await signUnsubscribeToken(SECRET, t.user, "digest");
    const requests = [
      new Request("http://localhost/unsubscribe", { method: "POST" }),
      new Request(`http://localhost/unsubscribe?token=${token.replace(".digest.", ".updates.")}`, {
        method: "POST",
      }),
      new Request(
        `http://localhost/unsubscribe?token=${await signUnsubscribeToken(
          "someone-elses-secret-0123456789abcdef",
          t.user,
          "digest",
        )}`,
        { method: "POST" },
      ),
      postJson("unsubscribe", { token: "garbage" }),
      new Request("http://localhost/unsubscribe?token=garbage"),
    ];
    for (const req of requests) {
      const res = await t.handler.fetch(req);
      assert.equal(res.status, 400, req.url);
      const body = await res.json();
      assert.equal(body.error.code, "invalid_unsubscribe_token");
      assert.match(body.error.message, /not valid/);
    }
    assert.equal(await t.prefs(), null, "no preference was written");
    const put = await t.handler.fetch(
      new Request(`http://localhost/unsubscribe?token=${token}`, { method: "PUT" }),
    );
    assert.equal(put.status, 405);
    await put.body?.cancel();
  } finally {
    await t.teardown();
  }
});

Deno.test("unsubscribe: without EMAIL_UNSUBSCRIBE_SECRET (missing, short or the placeholder) it answers 503", async () => {
  const logged: string[] = [];
  await withConsoleError((m: string) => logged.push(m), async () => {
    for (
      const secret of [undefined, "replace_me_with_a_long_random_secret_of_32_chars", "short"]
    ) {
      const handler = fromEnv({
        SUPABASE_DB_URL: testDbUrl(),
        SITE_URL: "https://learn.example.com",
        EMAIL_UNSUBSCRIBE_SECRET: secret,
      });
      const res = await handler.fetch(
        new Request("http://localhost/unsubscribe?token=x", { method: "POST" }),
      );
      assert.equal(res.status, 503, String(secret));
      assert.equal((await res.json()).error.code, "unsubscribe_not_configured");
      await handler.close();
    }
  });
  assert.match(logged[0], /EMAIL_UNSUBSCRIBE_SECRET is not set/);
  assert.match(logged[1], /EMAIL_UNSUBSCRIBE_SECRET is still the \.env\.example placeholder/);
  assert.match(logged[2], /EMAIL_UNSUBSCRIBE_SECRET is invalid: must be at least 32 characters/);
});
