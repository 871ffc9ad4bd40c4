// The checkers of function-docs.ts on small inputs: each one finds what it is there to find.
import assert from "node:assert/strict";
import {
  assignedVariables,
  envProblems,
  envReadProblems,
  envSections,
  importProblems,
  importSpecifiers,
  listProblems,
  markedList,
  sqlBlocks,
  sqlCronJobs,
  sqlStripeEvents,
} from "./function-docs.ts";

const example = `# ------------------------------------------------------------
# Edge function secrets. The platform provides SUPABASE_URL and
# SUPABASE_DB_URL.
# ------------------------------------------------------------

# The site.
SITE_URL=http://127.0.0.1:3000
# Optional: the pool.
# DB_POOL_SIZE=3

# ------------------------------------------------------------
# Clients of this backend
# ------------------------------------------------------------
# SUPABASE_URL=https://<ref>.supabase.co
OTHER=1
`;

Deno.test("envSections: .env.example cut at its banners, each with its title", () => {
  const sections = envSections(example);
  assert.deepEqual(sections.map((s) => s.title), [
    "Edge function secrets. The platform provides SUPABASE_URL and SUPABASE_DB_URL.",
    "Clients of this backend",
  ]);
  assert.deepEqual(assignedVariables(sections[0].text), ["SITE_URL", "DB_POOL_SIZE"]);
  assert.deepEqual(assignedVariables(sections[1].text), ["SUPABASE_URL", "OTHER"]);
});

Deno.test("envProblems: none when the section documents exactly what the functions read", () => {
  const [secrets] = envSections(example);
  assert.deepEqual(
    envProblems(secrets.text, {
      health: ["SUPABASE_DB_URL", "DB_POOL_SIZE"],
      checkout: ["SUPABASE_URL", "SUPABASE_DB_URL", "DB_POOL_SIZE", "SITE_URL"],
    }),
    [],
  );
});

Deno.test("envProblems: an undocumented variable, one no function reads, a platform one unnamed or assigned", () => {
  const [secrets] = envSections(example);
  assert.deepEqual(
    envProblems(secrets.text + "SUPABASE_JWKS=x\n", {
      checkout: ["SITE_URL", "STRIPE_SECRET_KEY", "SUPABASE_SECRET_KEYS"],
      refund: ["STRIPE_SECRET_KEY"],
    }),
    [
      "STRIPE_SECRET_KEY (read by checkout, refund) is not documented in .env.example",
      "SUPABASE_SECRET_KEYS (read by checkout) is not named among the platform's variables in .env.example",
      "DB_POOL_SIZE is documented in .env.example, but no function reads it",
      "SUPABASE_JWKS is assigned in .env.example, but SUPABASE_ names are the platform's",
    ],
  );
});

Deno.test("markedList and listProblems: a README list against the code's", () => {
  const readme = "Enable:\n<!-- events -->\n- `a.b`\n- `c.d`\n- `c.d`\n<!-- /events -->\n`x.y`";
  assert.deepEqual(markedList(readme, "events"), ["a.b", "c.d", "c.d"]);
  assert.throws(() => markedList(readme, "other"), /no <!-- other -->/);
  assert.deepEqual(listProblems(["a.b", "c.d"], ["a.b", "c.d"], "README"), []);
  assert.deepEqual(listProblems(markedList(readme, "events"), ["a.b", "e.f"], "README"), [
    "README lacks e.f",
    "README has c.d, which is not handled",
    "README has c.d, which is not handled",
  ]);
  assert.deepEqual(listProblems(["a.b", "a.b"], ["a.b"], "README"), ["README lists a.b twice"]);
});

Deno.test("sqlStripeEvents: the Stripe event types a migration quotes, and nothing else", () => {
  const sql = `if event_type in ('invoice.paid', 'invoice.payment_failed') then
    elsif event_type like 'checkout.session.%' then
    elsif event_type = 'charge.dispute.created' or event_type = 'charge.refunded' then
    perform set_config('request.jwt.claims', '{}', true); -- 'meeting.started', 'role.granted'`;
  assert.deepEqual(sqlStripeEvents(sql), [
    "charge.dispute.created",
    "charge.refunded",
    "invoice.paid",
    "invoice.payment_failed",
  ]);
});

Deno.test("importProblems: a function imports _shared/ and its own folder, never another function", () => {
  const files = [
    {
      path: "zoom-join/index.ts",
      text: 'import { zoomMeetingConfig } from "../zoom-meeting/index.ts";',
    },
    { path: "zoom-join/index_test.ts", text: 'import { x } from "../zoom-meeting/index.ts";' },
    { path: "tests/zoom_test.ts", text: 'import { x } from "../zoom-meeting/index.ts";' },
    {
      path: "send-emails/index.ts",
      text: [
        'import { z } from "zod";',
        'import { asCaller } from "../_shared/db.ts";',
        'import { render } from "./templates.ts";',
        'export { json } from "../_shared/http.ts";',
      ].join("\n"),
    },
    { path: "_shared/db.ts", text: 'import type { X } from "../checkout/index.ts";' },
    { path: "checkout/index.ts", text: 'const m = await import("../../../scripts/lib/paths.ts");' },
  ];
  assert.deepEqual(importProblems(files), [
    "zoom-join/index.ts imports ../zoom-meeting/index.ts",
    "_shared/db.ts imports ../checkout/index.ts",
    "checkout/index.ts imports ../../../scripts/lib/paths.ts",
  ]);
});

Deno.test("importSpecifiers: multi-line, type-only, re-exports and dynamic imports", () => {
  const text = `import {
  a,
  b,
} from "./a.ts";
import type { C } from './c.ts';
export * from "./d.ts";
import "./e.ts";
const f = await import("./f.ts");
// a comment saying from "./not-an-import.ts" is not one`;
  assert.deepEqual(importSpecifiers(text), ["./a.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts"]);
});

Deno.test("envReadProblems: only config.ts reads Deno.env; tests may", () => {
  assert.deepEqual(
    envReadProblems([
      { path: "_shared/config.ts", text: "Deno.env.toObject()" },
      { path: "_shared/db.ts", text: 'Deno.env.get("SUPABASE_DB_URL")' },
      { path: "_shared/testing/users.ts", text: 'Deno.env.get("SUPABASE_DB_URL")' },
      { path: "checkout/index.ts", text: "const x = 1;" },
    ]),
    ["_shared/db.ts reads Deno.env; read env through the function's schema (config.ts)"],
  );
});

Deno.test("sqlCronJobs: the names cron.schedule is called with, once each", () => {
  const sql =
    `select cron.schedule('send-emails', '* * * * *', 'select private.call_edge_function(''send-emails'')');
-- cron.schedule is how jobs are made; cron.unschedule('old-job') is not one
select cron.schedule( 'weekly-digest' , '0 8 * * 1', 'select 1');
select cron.schedule('send-emails', '* * * * *', 'select 2');`;
  assert.deepEqual(sqlCronJobs(sql), ["send-emails", "weekly-digest"]);
});

Deno.test("sqlBlocks: every sql fence, the hosted-only mark only on the block right after it", () => {
  const md = [
    "# Title",
    "```sql",
    "select 1;",
    "```",
    "<!-- sql: hosted only -->",
    "",
    "```sql",
    "select vault.create_secret('x', 'y');",
    "```",
    "```sh",
    "psql",
    "```",
    "```sql",
    "select 2;",
    "select 3;",
    "```",
  ].join("\n");
  assert.deepEqual(sqlBlocks(md), [
    { sql: "select 1;\n", hostedOnly: false, line: 2 },
    { sql: "select vault.create_secret('x', 'y');\n", hostedOnly: true, line: 7 },
    { sql: "select 2;\nselect 3;\n", hostedOnly: false, line: 13 },
  ]);
});
