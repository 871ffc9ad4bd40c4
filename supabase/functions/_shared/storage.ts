// Supabase Storage from a function, as the service role: upload an object and sign a short-lived
// download URL. The base URL is <SUPABASE_URL>/storage/v1 (tests point STORAGE_URL at
// testing/fake-storage.ts; the local stack runs no Storage server, so there it answers 503
// storage_unavailable). The key is the project's secret key (or the legacy service_role key).
import { z } from "zod";
import { HttpError } from "./http.ts";

export const storageEnv = z.object({
  SUPABASE_URL: z.url(),
  /** Optional: another Storage API base URL (default <SUPABASE_URL>/storage/v1). */
  STORAGE_URL: z.url().optional(),
  /** The platform's secret keys ({"default": "sb_secret_..."}); the first is used. */
  SUPABASE_SECRET_KEYS: z.string().optional(),
  SUPABASE_SECRET_KEY: z.string().optional(),
  /** The legacy service_role key, where no secret key is given. */
  SUPABASE_SERVICE_ROLE_KEY: z.string().optional(),
});
export type StorageConfig = z.infer<typeof storageEnv>;

/** The service key Storage is called with, or null when the platform gave none. */
function serviceKey(config: StorageConfig): string | null {
  try {
    const map = JSON.parse(config.SUPABASE_SECRET_KEYS ?? "{}") as Record<string, string>;
    const first = Object.values(map).find((k) => typeof k === "string" && k);
    if (first) return first;
  } catch { /* not JSON: auth.ts reports it */ }
  return config.SUPABASE_SECRET_KEY ?? config.SUPABASE_SERVICE_ROLE_KEY ?? null;
}

export interface Storage {
  /** Stores `bytes` at bucket/path, replacing what is there. */
  upload(bucket: string, path: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** A download URL for bucket/path, valid `expiresIn` seconds. */
  signedUrl(bucket: string, path: string, expiresIn: number): Promise<string>;
}

const objectPath = (bucket: string, path: string) =>
  `${encodeURIComponent(bucket)}/${path.split("/").map(encodeURIComponent).join("/")}`;

export function storageClient(config: StorageConfig, fetchFn: typeof fetch = fetch): Storage {
  const base = (config.STORAGE_URL ?? `${config.SUPABASE_URL.replace(/\/$/, "")}/storage/v1`)
    .replace(/\/$/, "");
  const call = async (path: string, init: RequestInit): Promise<Response> => {
    const key = serviceKey(config);
    if (!key) {
      throw new HttpError(503, "storage_unavailable", "File storage is not available right now.");
    }
    const headers = new Headers(init.headers);
    headers.set("apikey", key);
    if (!key.startsWith("sb_")) headers.set("authorization", `Bearer ${key}`);
    let res: Response;
    try {
      res = await fetchFn(`${base}${path}`, {
        ...init,
        headers,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (e) {
      console.error("storage unreachable:", e instanceof Error ? e.message : e);
      throw new HttpError(503, "storage_unavailable", "File storage is not available right now.");
    }
    // Storage answers its own errors with 400 (statusCode in the body); a 404 is a gateway
    // without a Storage route (Kong's "no Route matched", the local stack).
    if (res.status === 404) {
      await res.body?.cancel();
      throw new HttpError(503, "storage_unavailable", "File storage is not available right now.");
    }
    if (!res.ok) {
      console.error(`storage ${init.method} ${path}: ${res.status} ${await res.text()}`);
      throw new HttpError(502, "storage_error", "File storage refused the request.");
    }
    return res;
  };
  return {
    async upload(bucket, path, bytes, contentType) {
      const res = await call(`/object/${objectPath(bucket, path)}`, {
        method: "POST",
        headers: { "content-type": contentType, "x-upsert": "true", "cache-control": "no-cache" },
        body: bytes as BodyInit,
      });
      await res.body?.cancel();
    },
    async signedUrl(bucket, path, expiresIn) {
      const res = await call(`/object/sign/${objectPath(bucket, path)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ expiresIn }),
      });
      const { signedURL } = await res.json() as { signedURL: string };
      return `${base}${signedURL.startsWith("/") ? "" : "/"}${signedURL}`;
    },
  };
}
