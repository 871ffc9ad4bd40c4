import assert from "node:assert/strict";
import { z } from "zod";
import { secret } from "./config.ts";
import { lazyHandler } from "./handler.ts";
import { quietly, withConsoleError } from "./testing/console.ts";

const stripe = { prefix: "STRIPE_", code: "stripe_not_configured", message: "Payments are off." };
const schema = z.object({ STRIPE_SECRET_KEY: secret(z.string().startsWith("sk_")) });

Deno.test("lazyHandler: builds the handler on the first request, once, from the config it read", async () => {
  const built: z.infer<typeof schema>[] = [];
  const exported = lazyHandler(schema, [stripe], (config) => {
    built.push(config);
    return { fetch: () => Promise.resolve(new Response("hi")) };
  }, { STRIPE_SECRET_KEY: "sk_test_x" });
  assert.equal(built.length, 0, "importing a function builds nothing");
  assert.equal(exported.envSchema, schema, "the schema it reads is exported (npm test checks it)");
  assert.equal(await (await exported.fetch(new Request("http://x/"))).text(), "hi");
  await exported.fetch(new Request("http://x/"));
  assert.deepEqual(built, [{ STRIPE_SECRET_KEY: "sk_test_x" }]);
});

Deno.test("lazyHandler: while the config is wrong it answers the error, builds nothing, and reads it again", async () => {
  let builds = 0;
  const env: Record<string, string> = { STRIPE_SECRET_KEY: "sk_test_replace_me" };
  const exported = lazyHandler(schema, [stripe], () => {
    builds++;
    return { fetch: () => Promise.resolve(new Response("paid")) };
  }, env);
  const logged: string[] = [];
  await withConsoleError((m: string) => logged.push(m), async () => {
    const res = await exported.fetch(new Request("http://x/", { method: "POST" }));
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "stripe_not_configured");
    assert.match(logged[0], /STRIPE_SECRET_KEY is still the \.env\.example placeholder/);
    const preflight = await exported.fetch(new Request("http://x/", { method: "OPTIONS" }));
    assert.equal(preflight.status, 200, "CORS preflights still pass");
    await preflight.body?.cancel();
    assert.equal(builds, 0);
    env.STRIPE_SECRET_KEY = "sk_test_real";
    assert.equal(await (await exported.fetch(new Request("http://x/"))).text(), "paid");
    assert.equal(builds, 1);
  });
});

Deno.test("lazyHandler: a setting of no service missing is a 500 misconfigured; a bug is thrown", async () => {
  await quietly(async () => {
    const exported = lazyHandler(
      z.object({ SITE_URL: z.url() }),
      [stripe],
      () => ({ fetch: () => Promise.resolve(new Response("ok")) }),
      {},
    );
    const res = await exported.fetch(new Request("http://x/", { method: "POST" }));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.code, "misconfigured");
  });
  const broken = lazyHandler(z.object({}), [], () => {
    throw new Error("a bug");
  }, {});
  assert.throws(() => broken.fetch(new Request("http://x/")), /a bug/);
});

Deno.test("lazyHandler: close closes what it built, and nothing when nothing was built", async () => {
  let closed = 0;
  const exported = lazyHandler(z.object({}), [], () => ({
    fetch: () => Promise.resolve(new Response("ok")),
    close: () => Promise.resolve(void closed++),
  }), {});
  await exported.close();
  assert.equal(closed, 0);
  await (await exported.fetch(new Request("http://x/"))).body?.cancel();
  await exported.close();
  assert.equal(closed, 1);
});
