// Open Badges 3.0 for certificates (_shared/credentials.ts builds and signs them).
//
//   POST /functions/v1/credentials {certificate_id}  the holder's certificate as an
//        OpenBadgeCredential VC-JWT: {certificate_id, serial, credential}. Holders only: the
//        certificate is read as the caller, and only their own is signed.
//   GET  /functions/v1/credentials/issuer            the issuer's Profile (public)
//   GET  /functions/v1/credentials/jwks.json         the issuer's public keys, every key of
//        CREDENTIALS_SIGNING_KEYS (the old ones verify credentials signed before a rotation)
//   GET  /functions/v1/credentials/status/<list>     Bitstring Status List <list> as a VC-JWT
//        (application/vc+jwt): a revoked certificate's bit is set (public; cached 5 minutes)
//
// The signing keys come from the env secret CREDENTIALS_SIGNING_KEYS (npm run credentials:key),
// never from the database. Until it is set, every request answers 503 credentials_not_configured.
import { z } from "zod";
import { authEnv } from "../_shared/auth.ts";
import { databaseEnv, type Env, type Service } from "../_shared/config.ts";
import {
  type CertificateRow,
  credentialsEnv,
  issuerProfile,
  openBadgeCredential,
  signCredential,
  signingKeys,
  STATUS_LIST_SIZE,
  statusListCredential,
} from "../_shared/credentials.ts";
import { asCaller, asService } from "../_shared/db.ts";
import { type Deps, lazyHandler, poolAndAuth } from "../_shared/handler.ts";
import { corsHeaders, handle, HttpError, json, parseBody } from "../_shared/http.ts";

const config = credentialsEnv.extend({ ...authEnv.shape, ...databaseEnv.shape });
type Config = z.infer<typeof config>;

const input = z.object({ certificate_id: z.uuid() });

/** Open Badges are not set up while CREDENTIALS_SIGNING_KEYS is missing, invalid or the placeholder. */
const credentialsService: Service = {
  prefix: "CREDENTIALS_",
  code: "credentials_not_configured",
  message: "Open Badges credentials are not set up on this server.",
};

/** The highest list number an integer status index can reach. */
const MAX_LIST = Math.floor(2 ** 31 / STATUS_LIST_SIZE) - 1;

export function createCredentials(cfg: Config, deps: Deps = {}) {
  const { sql, auth, close } = poolAndAuth(cfg, deps);
  const keys = signingKeys(cfg.CREDENTIALS_SIGNING_KEYS);
  const publicCache = { "cache-control": "public, max-age=300" };

  const issue = handle("POST", async (req) => {
    const { claims } = await auth.authenticate(req);
    const { certificate_id } = await parseBody(req, input);
    const [cert] = await asCaller(
      sql,
      claims,
      (tx) =>
        tx<CertificateRow[]>`
          select c.id, c.serial, c.course_id, c.holder_name, c.course_title, c.issuer_name,
                 c.issued_at, c.status_index
          from public.certificates c
          where c.id = ${certificate_id} and c.user_id = (select auth.uid())`,
    );
    if (!cert) {
      throw new HttpError(404, "certificate_not_found", "You have no certificate with this id.");
    }
    const [signing] = await keys;
    const credential = await signCredential(openBadgeCredential(cfg, cert), signing);
    return json({ certificate_id: cert.id, serial: cert.serial, credential }, 200, {
      "cache-control": "no-store",
    });
  });

  const publish = handle("GET", async (req) => {
    const path = new URL(req.url).pathname.replace(/^.*\/credentials(?=\/|$)/, "");
    if (path === "/issuer") return json(issuerProfile(cfg), 200, publicCache);
    if (path === "/jwks.json") {
      return json({ keys: (await keys).map((k) => k.publicJwk) }, 200, publicCache);
    }
    const status = path.match(/^\/status\/(0|[1-9]\d{0,4})$/);
    if (status && Number(status[1]) <= MAX_LIST) {
      const list = Number(status[1]);
      const [row] = await asService(
        sql,
        (tx) =>
          tx<{ revoked: number[] }[]>`select revoked from public.certificate_status_list(${list})`,
      );
      const [signing] = await keys;
      const jwt = await signCredential(
        await statusListCredential(cfg, list, row.revoked),
        signing,
      );
      return new Response(jwt, {
        headers: { ...corsHeaders, "content-type": "application/vc+jwt", ...publicCache },
      });
    }
    throw new HttpError(404, "not_found", "No such credentials resource.");
  });

  const fetch = (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname.replace(/^.*\/credentials(?=\/|$)/, "");
    return path === "" || path === "/" ? issue(req) : publish(req);
  };
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(config, [credentialsService], createCredentials, env);

export default fromEnv();
