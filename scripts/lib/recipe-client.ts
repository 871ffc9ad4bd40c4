// The `supabase` a docs/API.md recipe imports from "./client.ts" when the recipe suite runs it
// (scripts/lib/recipe-suite.ts writes a client.ts that re-exports this): the doc's client, made
// for the persona the recipe's first line names. createClient with the project URL and the anon
// key, as in the doc; for a user, their session (from a real sign-in with
// `auth.signInWithPassword` where an Auth server answers, else an access token minted as Auth
// mints it) set with `auth.setSession`, so REST, RPC, functions and `auth.getUser()` all act as
// them.
//
// Where the stack has no Auth or Storage server (the local stack), the calls a recipe makes to
// those services go to the suite's stand-in (scripts/lib/recipe-stand-ins.ts), which answers them
// the way the service does, as the caller; every other request goes to the stack as it is.
import { createClient } from "@supabase/supabase-js";

export interface RecipePersona {
  url: string;
  anonKey: string;
  /** The signed-in user's session; null for anon. */
  session: { access_token: string; refresh_token: string } | null;
  /** Where /auth/v1 and /storage/v1 requests go when the stack does not serve them. */
  standIn: { url: string; services: string[] } | null;
}

const raw = Deno.env.get("RECIPE_PERSONA");
if (!raw) throw new Error("RECIPE_PERSONA is not set: recipes run through `npm run test:api`");
const persona: RecipePersona = JSON.parse(raw);
const origin = new URL(persona.url).origin;

function standInFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const standIn = persona.standIn;
  if (standIn) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const service = url.pathname.match(/^\/(\w+)\/v1\//)?.[1];
    if (url.origin === origin && service && standIn.services.includes(service)) {
      const target = new URL(url.pathname + url.search, standIn.url);
      return fetch(input instanceof Request ? new Request(target, input) : target, init);
    }
  }
  return fetch(input, init);
}

export const supabase = createClient(persona.url, persona.anonKey, {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  global: { fetch: standInFetch },
});

if (persona.session) {
  const { error } = await supabase.auth.setSession(persona.session);
  if (error) throw new Error(`could not set the persona's session: ${error.message}`);
}
