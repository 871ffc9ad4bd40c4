import assert from "node:assert/strict";
import { z } from "zod";
import { readConfig, secret } from "./config.ts";
import {
  ConfigError,
  handle,
  HttpError,
  parseBody,
  parseJson,
  ranAsAnon,
  toResponse,
  validate,
} from "./http.ts";
import { quietly, withConsoleError } from "./testing/console.ts";

/** An error as postgres.js throws it for a raise (detail and hint optional). */
const pgError = (
  code: string,
  message: string,
  extra: { detail?: string; hint?: string } = { hint: "try again" },
) => Object.assign(new Error(message), { name: "PostgresError", code, ...extra });

/** What toResponse answers: status and body. */
const answer = async (e: unknown) => {
  const res = toResponse(e);
  return { status: res.status, body: await res.json() };
};

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

Deno.test("validate: what the schema refuses is a 400 invalid_request with the field errors", async () => {
  const schema = z.object({ offer_id: z.uuid() });
  assert.deepEqual(validate({ offer_id: "0f000000-0000-4000-8000-000000000101" }, schema), {
    offer_id: "0f000000-0000-4000-8000-000000000101",
  });
  let thrown: unknown;
  try {
    validate({ offer_id: "nope" }, schema);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof HttpError);
  const res = toResponse(thrown);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "invalid_request");
  assert.equal(body.error.message, "The request is not valid.");
  assert.ok(body.error.details.fieldErrors.offer_id.length > 0);
});

Deno.test("toResponse: SQLSTATEs we raise get the HTTP status PostgREST gives them", async () => {
  for (
    const [code, status] of [
      ["42501", 403],
      ["P0001", 400],
      ["P0002", 404],
      ["22023", 400],
      ["22P02", 400],
      ["23514", 400],
      ["23505", 409],
      ["23503", 409],
      ["PT404", 404],
      ["PT409", 409],
      ["PT429", 429],
    ] as const
  ) {
    assert.deepEqual(await answer(pgError(code, `msg ${code}`)), {
      status,
      body: { error: { code, message: `msg ${code}`, details: "try again" } },
    }, code);
  }
});

Deno.test("toResponse: a raise's machine code (its detail) is the error code; the hint is details", async () => {
  assert.deepEqual(
    await answer(pgError("P0001", "you already have this", { detail: "already_owned" })),
    { status: 400, body: { error: { code: "already_owned", message: "you already have this" } } },
  );
  assert.deepEqual(
    await answer(
      pgError("P0001", "the join link opens 15 minutes before the start", {
        detail: "too_early",
        hint: "Opens at 2026-12-01 16:45:00+00",
      }),
    ),
    {
      status: 400,
      body: {
        error: {
          code: "too_early",
          message: "the join link opens 15 minutes before the start",
          details: "Opens at 2026-12-01 16:45:00+00",
        },
      },
    },
  );
  assert.deepEqual(
    await answer(pgError("PT404", "no meeting yet", { detail: "no_meeting" })),
    { status: 404, body: { error: { code: "no_meeting", message: "no meeting yet" } } },
    "the SQLSTATE still sets the status",
  );
  assert.deepEqual(
    await answer(pgError("42501", "you do not have access", { detail: "no_access" })),
    { status: 403, body: { error: { code: "no_access", message: "you do not have access" } } },
  );
});

Deno.test("toResponse: a detail that is not a machine code (Postgres' own) stays in details", async () => {
  for (const detail of ["Key (slug)=(intro) already exists.", "Already_owned", "already owned"]) {
    assert.deepEqual(
      await answer(pgError("23505", "duplicate key", { detail })),
      {
        status: 409,
        body: { error: { code: "23505", message: "duplicate key", details: detail } },
      },
      detail,
    );
  }
  assert.deepEqual(
    await answer(
      pgError("23505", "duplicate key", { detail: "Key (x)=(y).", hint: "pick another" }),
    ),
    {
      status: 409,
      body: { error: { code: "23505", message: "duplicate key", details: "pick another" } },
    },
    "the hint wins",
  );
});

Deno.test("toResponse: 42501 from SQL run as anon is 401, as PostgREST answers anon", async () => {
  const denied = ranAsAnon(pgError("42501", "sign in to buy", {}));
  assert.deepEqual(await answer(denied), {
    status: 401,
    body: { error: { code: "42501", message: "sign in to buy" } },
  });
  assert.equal(
    toResponse(ranAsAnon(pgError("P0001", "no", { detail: "already_owned" }))).status,
    400,
    "only 42501 changes",
  );
  assert.equal(toResponse(pgError("42501", "not yours", {})).status, 403, "signed in: 403");
});

Deno.test("toResponse: outages are 503, client mistakes 4xx, Stripe's refusals 502", async () => {
  await quietly(async () => {
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
  });
});

Deno.test("toResponse: anything else is a 500 that leaks nothing", async () => {
  await quietly(async () => {
    const res = toResponse(pgError("XX000", "connection string postgres://secret@db"));
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes("secret"));
    assert.equal(JSON.parse(text).error.code, "internal_error");
    assert.equal(toResponse(new ConfigError("STRIPE_SECRET_KEY is not set")).status, 500);
  });
});

Deno.test("toResponse: an unreachable or refusing database is a 503, nothing else is", async () => {
  await quietly(async () => {
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
  });
});

Deno.test("parseBody: a body that is not JSON is a 400 invalid_json", async () => {
  const schema = z.object({ a: z.number() });
  const post = (body?: string) => new Request("http://x/", { method: "POST", body });
  assert.deepEqual(await parseBody(post('{"a":1}'), schema), { a: 1 });
  for (const body of ["{nope", "", undefined]) {
    await assert.rejects(
      () => parseBody(post(body), schema),
      (e: unknown) => e instanceof HttpError && e.status === 400 && e.code === "invalid_json",
      String(body),
    );
  }
  await assert.rejects(
    () => parseBody(post('{"a":"1"}'), schema),
    (e: unknown) => e instanceof HttpError && e.status === 400 && e.code === "invalid_request",
  );
});

Deno.test("parseJson: an empty body is `whenEmpty` when the body is optional", () => {
  const schema = z.object({ batch_size: z.number().optional() });
  assert.deepEqual(parseJson("", schema, {}), {});
  assert.deepEqual(parseJson("  ", schema, {}), {});
  assert.deepEqual(parseJson('{"batch_size":5}', schema, {}), { batch_size: 5 });
  assert.throws(
    () => parseJson("batch=5", schema, {}),
    (e: unknown) => e instanceof HttpError && e.code === "invalid_json",
  );
});

Deno.test("handle: answers preflight and maps thrown errors", async () => {
  const h = handle("GET", () => Promise.reject(new HttpError(404, "not_found", "No such thing.")));
  const pre = await h(new Request("http://x/", { method: "OPTIONS" }));
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  const res = await h(new Request("http://x/"));
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
});

Deno.test("handle: any other method is a 405 naming the one it takes, and the handler never runs", async () => {
  let ran = 0;
  const h = (method: "GET" | "POST") =>
    handle(method, () => {
      ran++;
      return Promise.resolve(new Response("ran"));
    });
  for (
    const [method, sent, message] of [
      ["POST", "GET", "Use POST."],
      ["POST", "PUT", "Use POST."],
      ["GET", "POST", "Use GET."],
    ] as const
  ) {
    const res = await h(method)(new Request("http://x/", { method: sent }));
    assert.equal(res.status, 405, `${sent} to a ${method} handler`);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.deepEqual(await res.json(), { error: { code: "method_not_allowed", message } });
  }
  assert.equal(ran, 0);
  assert.equal(await (await h("POST")(new Request("http://x/", { method: "POST" }))).text(), "ran");
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

  const logged: string[] = [];
  await withConsoleError((m: string) => logged.push(m), async () => {
    const res = toResponse(placeholder);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      error: { code: "stripe_not_configured", message: "Payments are off." },
    });
    assert.match(logged[0], /STRIPE_SECRET_KEY is still the \.env\.example placeholder/);
  });
});

Deno.test("toResponse: a rate limit's PT429 is 429 rate_limited with Retry-After from its hint", async () => {
  const limited = pgError("PT429", "Too many requests. Please wait a moment and try again.", {
    detail: "rate_limited",
    hint: "Retry after 12 seconds.",
  });
  const res = toResponse(limited);
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "12");
  assert.deepEqual(await res.json(), {
    error: {
      code: "rate_limited",
      message: "Too many requests. Please wait a moment and try again.",
      details: "Retry after 12 seconds.",
    },
  });
  const noHint = toResponse(pgError("PT429", "slow down", {}));
  assert.equal(noHint.headers.get("retry-after"), "1", "no hint: a second");
  assert.equal(toResponse(pgError("PT404", "gone")).headers.get("retry-after"), null);
});
