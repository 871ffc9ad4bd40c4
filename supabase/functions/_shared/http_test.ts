import assert from "node:assert/strict";
import { z } from "zod";
import { ConfigError, lazyHandler, readConfig, secret } from "./config.ts";
import { handle, HttpError, readJson, toResponse } from "./http.ts";

const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { name: "PostgresError", code, hint: "try again" });

Deno.test("toResponse: HttpError keeps its status and code", async () => {
  const res = toResponse(new HttpError(409, "already_owned", "You already own this course."));
  assert.equal(res.status, 409);
  assert.deepEqual(await res.json(), {
    error: { code: "already_owned", message: "You already own this course." },
  });
});

Deno.test("toResponse: an HttpError's headers go on the response (WWW-Authenticate, Retry-After)", async () => {
  const res = toResponse(
    new HttpError(401, "invalid_token", "The token has expired.", undefined, {
      "www-authenticate": 'Bearer error="invalid_token"',
    }),
  );
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
  assert.equal(res.headers.get("access-control-allow-origin"), "*", "CORS headers stay");
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), {
    error: { code: "invalid_token", message: "The token has expired." },
  });
});

Deno.test("toResponse: a zod error is a 400 with the field errors", async () => {
  const parsed = z.object({ offer_id: z.uuid() }).safeParse({ offer_id: "nope" });
  assert.ok(!parsed.success);
  const res = toResponse(parsed.error);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "invalid_request");
  assert.ok(body.error.details.fieldErrors.offer_id.length > 0);
});

Deno.test("toResponse: SQLSTATEs we raise map to their HTTP status", async () => {
  for (
    const [code, status] of [["42501", 403], ["P0002", 404], ["22023", 400], ["23505", 409], [
      "P0001",
      422,
    ]] as const
  ) {
    const res = toResponse(pgError(code, `msg ${code}`));
    assert.equal(res.status, status, code);
    assert.deepEqual(await res.json(), {
      error: { code, message: `msg ${code}`, details: "try again" },
    });
  }
});

Deno.test("toResponse: outages are 503, client mistakes 4xx, Stripe's refusals 502", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    for (
      const [e, status, code] of [
        [pgError("23503", "fk"), 409, "23503"],
        [pgError("22001", "too long"), 400, "22001"],
        [pgError("PT429", "slow down"), 429, "PT429"],
        [pgError("PT404", "gone"), 404, "PT404"],
        [pgError("57014", "statement timeout"), 503, "database_unavailable"],
        [pgError("40P01", "deadlock"), 503, "database_unavailable"],
        [
          Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
          503,
          "database_unavailable",
        ],
        [{ type: "StripeConnectionError", message: "down" }, 503, "stripe_unavailable"],
        [{ type: "StripeAuthenticationError", message: "bad key" }, 503, "stripe_not_configured"],
        [{ type: "StripeInvalidRequestError", message: "no such price" }, 502, "stripe_error"],
      ] as const
    ) {
      const res = toResponse(e);
      assert.equal(res.status, status, code);
      assert.equal((await res.json()).error.code, code);
    }
  } finally {
    console.error = original;
  }
});

Deno.test("toResponse: anything else is a 500 that leaks nothing", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    const res = toResponse(pgError("XX000", "connection string postgres://secret@db"));
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes("secret"));
    assert.equal(JSON.parse(text).error.code, "internal_error");
    assert.equal(toResponse(new ConfigError("STRIPE_SECRET_KEY is not set")).status, 500);
  } finally {
    console.error = original;
  }
});

Deno.test("toResponse: an unreachable or refusing database is a 503, nothing else is", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    for (
      const e of [refused, pgError("57P01", "terminating connection"), pgError("53300", "too many")]
    ) {
      const res = toResponse(e);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "5");
      assert.deepEqual(await res.json(), {
        error: {
          code: "database_unavailable",
          message: "The database is unavailable. Please try again.",
        },
      });
    }
    assert.equal(toResponse(pgError("22003", "out of range")).status, 500, "a bug stays a 500");
  } finally {
    console.error = original;
  }
});

Deno.test("readJson: a body that is not JSON is a 400 invalid_json", async () => {
  assert.deepEqual(await readJson(new Request("http://x/", { method: "POST", body: '{"a":1}' })), {
    a: 1,
  });
  await assert.rejects(
    () => readJson(new Request("http://x/", { method: "POST", body: "{nope" })),
    (e: unknown) => e instanceof HttpError && e.status === 400 && e.code === "invalid_json",
  );
});

Deno.test("handle: answers preflight and maps thrown errors", async () => {
  const h = handle(() => Promise.reject(new HttpError(404, "not_found", "No such thing.")));
  const pre = await h(new Request("http://x/", { method: "OPTIONS" }));
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  const res = await h(new Request("http://x/"));
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
});

Deno.test("readConfig: names every missing or invalid variable", () => {
  const schema = z.object({ A_URL: z.url(), B_KEY: z.string().min(1), C: z.string().optional() });
  assert.deepEqual(readConfig(schema, { A_URL: "https://x.test", B_KEY: "k" }), {
    A_URL: "https://x.test",
    B_KEY: "k",
  });
  assert.throws(() => readConfig(schema, { A_URL: "nope" }), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /A_URL is invalid/);
    assert.match(e.message, /B_KEY is not set/);
    return true;
  });
});

Deno.test("lazyHandler: builds the handler on the first request, once", async () => {
  let builds = 0;
  const exported = lazyHandler(() => {
    builds++;
    return { fetch: () => Promise.resolve(new Response("hi")) };
  });
  assert.equal(builds, 0, "importing a function builds nothing");
  assert.equal(await (await exported.fetch(new Request("http://x/"))).text(), "hi");
  await exported.fetch(new Request("http://x/"));
  assert.equal(builds, 1);
});

Deno.test("readConfig: a third party's missing, invalid or placeholder setting is its 503", async () => {
  const stripe = { prefix: "STRIPE_", code: "stripe_not_configured", message: "Payments are off." };
  const schema = z.object({
    DB: z.string().min(1),
    STRIPE_SECRET_KEY: secret(z.string().startsWith("sk_")),
  });
  const failure = (env: Record<string, string>) => {
    try {
      readConfig(schema, env, [stripe]);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e;
    }
    assert.fail("expected a ConfigError");
  };
  const placeholder = failure({ DB: "x", STRIPE_SECRET_KEY: "sk_test_replace_me" });
  assert.match(placeholder.message, /STRIPE_SECRET_KEY is still the \.env\.example placeholder/);
  assert.deepEqual(placeholder.service, {
    code: "stripe_not_configured",
    message: "Payments are off.",
  });
  assert.match(failure({ DB: "x" }).message, /STRIPE_SECRET_KEY is not set/);
  assert.equal(
    failure({ DB: "x", STRIPE_SECRET_KEY: "pk_live" }).service?.code,
    "stripe_not_configured",
  );
  const both = failure({ STRIPE_SECRET_KEY: "" });
  assert.match(
    both.message,
    /DB is not set; STRIPE_SECRET_KEY is not set/,
    "every problem is logged",
  );
  assert.equal(both.service?.code, "stripe_not_configured", "clients learn Stripe is not set up");
  assert.equal(
    failure({ STRIPE_SECRET_KEY: "sk_test_x" }).service,
    undefined,
    "anything else: 500",
  );
  assert.equal(readConfig(schema, { DB: "x", STRIPE_SECRET_KEY: "sk_test_x" }).DB, "x");

  const original = console.error;
  const logged: string[] = [];
  console.error = (m: string) => logged.push(m);
  try {
    const res = toResponse(placeholder);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      error: { code: "stripe_not_configured", message: "Payments are off." },
    });
    assert.match(logged[0], /STRIPE_SECRET_KEY is still the \.env\.example placeholder/);
  } finally {
    console.error = original;
  }
});

Deno.test("lazyHandler: while the config is wrong it answers the error, builds nothing, and reads it again", async () => {
  let attempts = 0;
  let configured = false;
  const exported = lazyHandler(() => {
    attempts++;
    if (!configured) {
      throw new ConfigError("configuration error: STRIPE_SECRET_KEY is not set", {
        code: "stripe_not_configured",
        message: "Payments are off.",
      });
    }
    return { fetch: () => Promise.resolve(new Response("paid")) };
  });
  const original = console.error;
  console.error = () => {};
  try {
    const res = await exported.fetch(new Request("http://x/", { method: "POST" }));
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "stripe_not_configured");
    const preflight = await exported.fetch(new Request("http://x/", { method: "OPTIONS" }));
    assert.equal(preflight.status, 200, "CORS preflights still pass");
    await preflight.body?.cancel();
    configured = true;
    assert.equal(await (await exported.fetch(new Request("http://x/"))).text(), "paid");
    assert.equal(attempts, 3);
  } finally {
    console.error = original;
  }
});
