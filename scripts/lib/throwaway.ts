// A throwaway database on a free port in a temporary folder, for tests and type generation.
// It never touches the dev stack (not even its signing key: it makes its own), and `dispose`
// removes every trace of it.
import { join } from "node:path";
import { createDatabase } from "./local-stack.ts";
import { type Cluster, ensurePackages, stopCluster } from "./postgres.ts";
import { freePort, must } from "./proc.ts";
import { ensureSigningKeys } from "./signing-keys.ts";

export interface Throwaway {
  cluster: Cluster;
  tmp: string;
  /** Its own JWT signing keys file (one ES256 key), in `tmp`: the CLI is pointed at it. */
  signingKeysPath: string;
  dispose: () => Promise<void>;
}

export async function throwawayDatabase(): Promise<Throwaway> {
  await ensurePackages();
  const tmp = await Deno.makeTempDir({ prefix: "coursebase-" });
  if (Deno.uid() === 0) await must(["chown", "postgres:postgres", tmp]);
  const cluster: Cluster = { dir: join(tmp, "db"), port: freePort() };
  const signingKeysPath = join(tmp, "signing_keys.json");
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await stopCluster(cluster).catch((e) =>
      console.error(`could not stop the test database: ${e}`)
    );
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  };
  try {
    await ensureSigningKeys(signingKeysPath);
    await createDatabase(cluster, { ephemeral: true, signingKeysPath });
  } catch (e) {
    await dispose();
    throw e;
  }
  return { cluster, tmp, signingKeysPath, dispose };
}
