// Function secrets used on the local stack when supabase/functions/.env does not exist.
// Every key here is documented in .env.example.
export const localFunctionEnv: Record<string, string> = {
  SITE_URL: "http://127.0.0.1:3000",
};
