// Build order (scripts/lib/migration-order.ts): our migrations, applied one at a time to a fresh
// database, never use an object a later one creates; and the check itself, on small examples
// (it must fail when the first file uses the second's table).
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { bootstrap } from "./local-stack.ts";
import { buildOrderProblems } from "./migration-order.ts";
import { supabaseDir } from "./paths.ts";
import {
  adminUrl,
  type Cluster,
  ensurePackages,
  initCluster,
  psql,
  startCluster,
  stopCluster,
  url,
} from "./postgres.ts";
import { freePort, must } from "./proc.ts";

/** A fresh cluster with the platform bootstrap and no migration, removed after `fn`. */
async function withPlatform(fn: (c: Cluster) => Promise<void>) {
  await ensurePackages();
  const tmp = await Deno.makeTempDir({ prefix: "coursebase-order-" });
  if (Deno.uid() === 0) await must(["chown", "postgres:postgres", tmp]);
  const cluster: Cluster = { dir: join(tmp, "db"), port: freePort() };
  try {
    await initCluster(cluster);
    await startCluster(cluster, { ephemeral: true });
    await bootstrap(cluster);
    await fn(cluster);
  } finally {
    await stopCluster(cluster).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Migration files with these names and texts in a temporary folder, in name order. */
async function files(dir: string, texts: Record<string, string>): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(texts)) await Deno.writeTextFile(join(dir, name), text);
  return Object.keys(texts).sort().map((name) => join(dir, name));
}

const first = "20260101000000_first.sql";
const second = "20260102000000_second.sql";
const readsLater = `create function public.count_later() returns bigint language plpgsql as $$
begin
  return (select count(*) from public.later);
end;
$$;
`;
const createsLater = "create table public.later (id integer, n integer);\n";

Deno.test("build order", async (t) => {
  await withPlatform(async (cluster) => {
    // Each example gets its own database of the cluster, so no example sees another's objects.
    let examples = 0;
    const example = async (texts: Record<string, string>) => {
      const db = `build_order_example_${++examples}`;
      await psql(adminUrl(cluster), { sql: `create database ${db};` });
      const target = {
        deployUrl: url(cluster, "supabase_admin", db),
        adminUrl: url(cluster, "supabase_admin", db),
      };
      const dir = await Deno.makeTempDir({ prefix: "coursebase-order-example-" });
      try {
        return await buildOrderProblems(target, await files(dir, texts));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    };

    await t.step("a function that reads a table the next file creates is refused", async () => {
      const problems = await example({ [first]: readsLater, [second]: createsLater });
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0], /^20260101000000_first\.sql: public\.count_later\(\): line 3: /);
      assert.match(problems[0], /relation "public\.later" does not exist/);
    });

    await t.step("the same two files the other way round pass", async () => {
      assert.deepEqual(await example({ [first]: createsLater, [second]: readsLater }), []);
    });

    await t.step("a trigger function is checked with its trigger's table", async () => {
      const touch = (column: string) =>
        `create function public.later_touch() returns trigger language plpgsql as $$
begin
  new.${column} := new.id + 1;
  return new;
end;
$$;
create trigger later_touch before insert on public.later for each row execute function public.later_touch();
`;
      assert.deepEqual(await example({ [first]: createsLater + touch("n") }), []);
      // NEW.n2 exists only once the second file has added the column.
      const problems = await example({
        [first]: createsLater + touch("n2"),
        [second]: "alter table public.later add column n2 integer;\n",
      });
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(
        problems[0],
        /^20260101000000_first\.sql: public\.later_touch\(\) \(trigger on public\.later\): line 3: .*n2/,
      );
    });

    await t.step("a trigger function without its trigger in the same file is refused", async () => {
      const fn = `create function public.later_touch() returns trigger language plpgsql as $$
begin
  return new;
end;
$$;
`;
      const trigger =
        "create trigger later_touch before insert on public.later for each row execute function public.later_touch();\n";
      const problems = await example({ [first]: createsLater + fn, [second]: trigger });
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(
        problems[0],
        /^20260101000000_first\.sql: public\.later_touch\(\): is a trigger function that no trigger uses/,
      );
    });

    await t.step("an error that stays when every file has run is no matter of order", async () => {
      const broken = readsLater.replace("public.later", "public.never");
      assert.deepEqual(await example({ [first]: createsLater, [second]: broken }), []);
    });

    await t.step("a file that does not apply stops the check and says why", async () => {
      const problems = await example({
        [first]: "select 1 from public.later;\n",
        [second]: createsLater,
      });
      assert.deepEqual(problems.length, 1, problems.join("\n"));
      assert.match(
        problems[0],
        /^20260101000000_first\.sql: does not apply .*relation "public\.later" does not exist/s,
      );
    });

    await t.step("supabase/migrations: no file uses an object a later file creates", async () => {
      const dir = join(supabaseDir, "migrations");
      const migrations = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort().map((f) =>
        join(dir, f)
      );
      const problems = await buildOrderProblems(
        { deployUrl: url(cluster), adminUrl: adminUrl(cluster) },
        migrations,
      );
      assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
    });
  });
});
