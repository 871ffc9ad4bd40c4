// A fake Supabase Storage API for the functions' tests: keeps uploaded objects in memory, signs
// download URLs and serves them, and records every request (for assertions). Only what
// _shared/storage.ts calls: POST /object/<bucket>/<path> (x-upsert), POST /object/sign/<bucket>/<path>,
// GET /object/sign/<bucket>/<path>?token=...
export interface StorageRequest {
  method: string;
  path: string;
  apikey: string | null;
  upsert: boolean;
  contentType: string | null;
}

export function startFakeStorage() {
  const objects = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const tokens = new Map<string, { key: string; expires: number }>();
  const requests: StorageRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method,
      path,
      apikey: req.headers.get("apikey"),
      upsert: req.headers.get("x-upsert") === "true",
      contentType: req.headers.get("content-type"),
    });
    const json = (body: unknown, status = 200) => Response.json(body, { status });
    const sign = path.match(/^\/storage\/v1\/object\/sign\/(.+)$/);
    if (sign && req.method === "GET") {
      const t = tokens.get(url.searchParams.get("token") ?? "");
      const object = objects.get(sign[1]);
      if (!t || t.key !== sign[1] || t.expires < Date.now() || !object) {
        return json({ statusCode: "400", error: "InvalidJWT", message: "invalid token" }, 400);
      }
      return new Response(object.bytes as BodyInit, {
        headers: { "content-type": object.contentType },
      });
    }
    if (sign && req.method === "POST") {
      if (!objects.has(sign[1])) {
        return json({ statusCode: "404", error: "not_found", message: "Object not found" }, 400);
      }
      const { expiresIn } = await req.json() as { expiresIn: number };
      const token = crypto.randomUUID();
      tokens.set(token, { key: sign[1], expires: Date.now() + expiresIn * 1000 });
      return json({ signedURL: `/object/sign/${sign[1]}?token=${token}` });
    }
    const upload = path.match(/^\/storage\/v1\/object\/(.+)$/);
    if (upload && req.method === "POST") {
      if (objects.has(upload[1]) && req.headers.get("x-upsert") !== "true") {
        return json({ statusCode: "409", error: "Duplicate", message: "exists" }, 400);
      }
      objects.set(upload[1], {
        bytes: new Uint8Array(await req.arrayBuffer()),
        contentType: req.headers.get("content-type") ?? "application/octet-stream",
      });
      return json({ Key: upload[1] });
    }
    return new Response("not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    objects,
    requests,
    close: () => server.shutdown(),
  };
}
