// Debian's PostgreSQL 15 as the local database: packages, clusters, and psql.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { log, must, run, which } from "./proc.ts";

const PG_MAJOR = 15;
const pgBinDir = Deno.env.get("PG_BINDIR") ?? `/usr/lib/postgresql/${PG_MAJOR}/bin`;
const extDir = `/usr/share/postgresql/${PG_MAJOR}/extension`;

/** The superuser, as on Supabase, where `postgres` is not a superuser. */
export const SUPERUSER = "supabase_admin";
export const PASSWORD = "postgres";

const isRoot = Deno.uid() === 0;

/** What we need, how to tell it is there, and the Debian package that brings it. */
const requirements: { present: () => boolean | Promise<boolean>; pkg: string }[] = [
  { present: () => existsSync(join(pgBinDir, "postgres")), pkg: `postgresql-${PG_MAJOR}` },
  { present: async () => (await which("psql")) !== null, pkg: `postgresql-client-${PG_MAJOR}` },
  {
    present: () => existsSync(join(extDir, "pgtap.control")),
    pkg: `postgresql-${PG_MAJOR}-pgtap`,
  },
  {
    present: () => existsSync(join(extDir, "plpgsql_check.control")),
    pkg: `postgresql-${PG_MAJOR}-plpgsql-check`,
  },
  {
    present: () => existsSync(join(extDir, "pg_cron.control")),
    pkg: `postgresql-${PG_MAJOR}-cron`,
  },
  {
    present: async () => (await which("pg_prove")) !== null,
    pkg: "libtap-parser-sourcehandler-pgtap-perl",
  },
];

/** Installs whatever Debian packages are missing. Idempotent; uses sudo when not root. */
export async function ensurePackages(): Promise<void> {
  const missing: string[] = [];
  for (const r of requirements) if (!(await r.present())) missing.push(r.pkg);
  if (missing.length === 0) return;
  const manual = `sudo apt-get update && sudo apt-get install -y ${missing.join(" ")}`;
  if (!(await which("apt-get"))) {
    throw new Error(
      `Missing PostgreSQL ${PG_MAJOR} packages: ${missing.join(", ")}.\n` +
        `This machine has no apt-get. Install PostgreSQL ${PG_MAJOR} with pgTAP, plpgsql_check, ` +
        `pg_cron and pg_prove yourself (Debian: ${manual}), or run with Docker.`,
    );
  }
  // sudo may ask for a password when someone is at the terminal; in CI it must not wait.
  const interactive = !isRoot && Deno.stdin.isTerminal();
  const sudo = isRoot ? [] : interactive ? ["sudo"] : ["sudo", "-n"];
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  log(`installing ${missing.join(", ")}${isRoot ? "" : " with sudo"}`);
  const install = [
    ...sudo,
    "apt-get",
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    ...missing,
  ];
  let result = await run(install, { env, inherit: interactive });
  if (result.code !== 0) {
    await run([...sudo, "apt-get", "update", "-q"], { env, inherit: interactive });
    result = await run(install, { env, inherit: interactive });
  }
  if (result.code !== 0) {
    throw new Error(
      `apt-get could not install ${
        missing.join(" ")
      }:\n${result.stderr}\nInstall them by hand: ${manual}`,
    );
  }
}

/** Postgres refuses to run as root; as root we run the server as the `postgres` OS user. */
function asServerUser(cmd: string[]): string[] {
  return isRoot ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

export interface Cluster {
  dir: string;
  port: number;
}

const dataDir = (c: Cluster) => join(c.dir, "data");
const socketDir = (c: Cluster) => c.dir;

export function url(c: Cluster, user = "postgres", db = "postgres"): string {
  return `postgresql://${user}:${PASSWORD}@127.0.0.1:${c.port}/${db}`;
}
export const adminUrl = (c: Cluster) => url(c, SUPERUSER);

/**
 * A new cluster. `runCronJobs`: pg_cron connects to run each job; pointing it at the socket (trust
 * auth) lets the dev stack run the migrations' jobs as Supabase does. Throwaway test clusters
 * leave it unset, so no job runs in the middle of a test.
 */
export async function initCluster(c: Cluster, opts: { runCronJobs?: boolean } = {}): Promise<void> {
  await Deno.mkdir(c.dir, { recursive: true });
  const pwfile = join(c.dir, "pwfile");
  await Deno.writeTextFile(pwfile, PASSWORD);
  if (isRoot) await must(["chown", "-R", "postgres:postgres", c.dir]);
  await must(asServerUser([
    join(pgBinDir, "initdb"),
    "-D",
    dataDir(c),
    "-U",
    SUPERUSER,
    `--pwfile=${pwfile}`,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
  ]));
  await Deno.remove(pwfile);
  // Settings a Supabase database has that our migrations rely on. The preloaded libraries are
  // supabase/postgres's (ansible/files/postgresql_config/postgresql.conf.j2) less those Debian
  // does not package (pgaudit, pg_net, pgsodium, timescaledb, pg_tle, plan_filter). Preloading
  // pg_cron does not create it: a fresh project has no pg_cron until a migration creates it.
  const conf = [
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir(c)}'`,
    "shared_preload_libraries = 'pg_stat_statements, plpgsql, plpgsql_check, pg_cron, auto_explain'",
    "cron.database_name = 'postgres'",
    ...(opts.runCronJobs ? [`cron.host = '${socketDir(c)}'`] : []),
    "wal_level = logical",
    "max_connections = 200",
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
  ].join("\n");
  await Deno.writeTextFile(join(dataDir(c), "postgresql.conf"), `\n${conf}\n`, { append: true });
}

export async function isRunning(c: Cluster): Promise<boolean> {
  if (!existsSync(join(dataDir(c), "PG_VERSION"))) return false;
  const r = await run(asServerUser([join(pgBinDir, "pg_ctl"), "status", "-D", dataDir(c)]));
  return r.code === 0;
}

/** Starts the server and waits until it accepts connections. `ephemeral` trades durability for speed. */
export async function startCluster(c: Cluster, opts: { ephemeral?: boolean } = {}): Promise<void> {
  const options = [`-p ${c.port}`];
  if (opts.ephemeral) {
    options.push("-c fsync=off -c synchronous_commit=off -c full_page_writes=off");
  }
  await must(asServerUser([
    join(pgBinDir, "pg_ctl"),
    "start",
    "-w",
    "-t",
    "60",
    "-D",
    dataDir(c),
    "-l",
    join(c.dir, "postgres.log"),
    "-o",
    options.join(" "),
  ]));
}

export async function stopCluster(c: Cluster): Promise<void> {
  if (!(await isRunning(c))) return;
  await must(
    asServerUser([join(pgBinDir, "pg_ctl"), "stop", "-w", "-m", "fast", "-D", dataDir(c)]),
  );
}

/** Runs SQL (a string or a file) through psql, stopping at the first error. */
export async function psql(
  dbUrl: string,
  input: { sql: string } | { file: string },
  extra: string[] = [],
): Promise<string> {
  const args = ["psql", dbUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", ...extra];
  if ("file" in input) args.push("-f", input.file);
  const r = await must(args, {
    stdin: "sql" in input ? input.sql : undefined,
    env: { ...Deno.env.toObject(), PGSSLMODE: "disable" },
  });
  return r.stdout;
}

/** One value from a query (tuples only, unaligned). */
export async function query(dbUrl: string, sql: string): Promise<string> {
  return (await psql(dbUrl, { sql }, ["-t", "-A"])).trim();
}
