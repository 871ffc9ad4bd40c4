// Function secrets used on the local stack when supabase/functions/.env does not exist.
// Every key here is documented in .env.example.
export const localFunctionEnv: Record<string, string> = {
  SITE_URL: "http://127.0.0.1:3000",
  RESEND_API_KEY: "re_replace_me",
  EMAIL_FROM: "Coursebase <hello@example.com>",
  EMAIL_RATE_PER_SECOND: "5",
  EMAIL_BATCH_SIZE: "50",
  EMAIL_LEASE_SECONDS: "120",
};
