// GET /functions/v1/health: is the database reachable, and which migration is it on? Public: no
// credential is asked for, and none is looked at.
// 200 {status:"ok", database:{reachable:true, migration_version}} or 503 when the database is down.
import { databaseEnv, type Env } from "../_shared/config.ts";
import { pool, type Sql } from "../_shared/db.ts";
import { lazyHandler } from "../_shared/handler.ts";
import { handle, json } from "../_shared/http.ts";

export function createHealth(config: { SUPABASE_DB_URL: string; DB_POOL_SIZE?: number }) {
  let sql: Sql | undefined;
  const fetch = handle("GET", async () => {
    sql ??= pool(config, { connect_timeout: 3 });
    const time = new Date().toISOString();
    try {
      const [row] = await sql<{ version: string | null }[]>`
        select max(version) as version from supabase_migrations.schema_migrations`;
      return json({
        status: "ok",
        database: { reachable: true, migration_version: row.version },
        time,
      });
    } catch (e) {
      // An outage is this function's answer, not an error: it reports it.
      console.error("health: database check failed:", e instanceof Error ? e.message : e);
      return json(
        { status: "degraded", database: { reachable: false, migration_version: null }, time },
        503,
      );
    }
  });
  const close = async () => {
    await sql?.end({ timeout: 5 });
    sql = undefined;
  };
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) => lazyHandler(databaseEnv, [], createHealth, env);

export default fromEnv();
