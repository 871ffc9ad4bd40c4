// One-click unsubscribe from an email category (RFC 8058). Public: the signed token in the link is
// the credential (_shared/unsubscribe.ts); no Supabase key or session is asked for.
//   POST /functions/v1/unsubscribe?token=<token>  what a mail client sends for the
//        List-Unsubscribe-Post header (body `List-Unsubscribe=One-Click`, form-encoded), and what
//        the site's confirmation page sends ({"token": "<token>"} as JSON, or the query string):
//        verifies the token, turns the category off (public.unsubscribe_email, as the service
//        role: it also drops that category's pending emails) and answers
//        200 {unsubscribed: true, category}. Repeating it is harmless.
//   GET  /functions/v1/unsubscribe?token=<token>  the link in the email's footer: unsubscribes
//        nothing (mail scanners follow links) and redirects (303) to the site's confirmation page,
//        <SITE_URL>/unsubscribe?token=<token>&category=<category>, whose button POSTs it back.
// A token that is missing, altered or unknown: 400 invalid_unsubscribe_token. Without
// EMAIL_UNSUBSCRIBE_SECRET: 503 unsubscribe_not_configured.
import { z } from "zod";
import { databaseEnv, type Env, type Service } from "../_shared/config.ts";
import { asService } from "../_shared/db.ts";
import { type Deps, lazyHandler, ownPool } from "../_shared/handler.ts";
import { handle, HttpError, json, parseJson } from "../_shared/http.ts";
import { unsubscribeEnv, verifyUnsubscribeToken } from "../_shared/unsubscribe.ts";

const unsubscribeService: Service = {
  prefix: "EMAIL_UNSUBSCRIBE_",
  code: "unsubscribe_not_configured",
  message:
    "Unsubscribe links are not set up on this server yet; the function logs say which setting.",
};

export const unsubscribeConfig = z.object({
  ...databaseEnv.shape,
  ...unsubscribeEnv.shape,
  SITE_URL: z.url(),
});
export type UnsubscribeConfig = z.infer<typeof unsubscribeConfig>;

const jsonBody = z.object({ token: z.string().max(200).optional() });

export function createUnsubscribe(config: UnsubscribeConfig, deps: Pick<Deps, "sql"> = {}) {
  const { sql, close } = ownPool(config, deps);

  /** The verified token of a request: its query string, else a JSON body's `token`. */
  const verified = async (req: Request, body: string) => {
    let token = new URL(req.url).searchParams.get("token");
    const type = req.headers.get("content-type") ?? "";
    if (!token && type.includes("application/json")) {
      token = parseJson(body, jsonBody, {}).token ?? null;
    }
    const who = token ? await verifyUnsubscribeToken(config.EMAIL_UNSUBSCRIBE_SECRET, token) : null;
    if (!who) {
      throw new HttpError(
        400,
        "invalid_unsubscribe_token",
        "This unsubscribe link is not valid. Change your email preferences in your account settings.",
      );
    }
    return { token: token!, ...who };
  };

  const unsubscribe = handle("POST", async (req) => {
    const { userId, category } = await verified(req, await req.text());
    await asService(sql, (tx) => tx`select public.unsubscribe_email(${userId}, ${category})`);
    return json({ unsubscribed: true, category });
  });

  const confirm = handle("GET", async (req) => {
    const { token, category } = await verified(req, "");
    const page = new URL("/unsubscribe", config.SITE_URL);
    page.searchParams.set("token", token);
    page.searchParams.set("category", category);
    return new Response(null, {
      status: 303,
      headers: { location: page.href, "cache-control": "no-store" },
    });
  });

  const fetch = (req: Request) => req.method === "GET" ? confirm(req) : unsubscribe(req);
  return { fetch, close };
}

/** The handler, configured from `env` (default: the function's environment) on its first request. */
export const fromEnv = (env?: Env) =>
  lazyHandler(unsubscribeConfig, [unsubscribeService], createUnsubscribe, env);

export default fromEnv();
