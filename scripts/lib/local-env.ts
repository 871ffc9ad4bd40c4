// Function secrets used on the local stack when supabase/functions/.env does not exist.
// Every key here is documented in .env.example.
export const localFunctionEnv: Record<string, string> = {
  SITE_URL: "http://127.0.0.1:3000",
  CREDENTIALS_SIGNING_KEYS: "replace_me",
  CREDENTIALS_ISSUER_NAME: "Coursebase",
  RESEND_API_KEY: "re_replace_me",
  EMAIL_FROM: "Coursebase <hello@example.com>",
  EMAIL_RATE_PER_SECOND: "5",
  EMAIL_BATCH_SIZE: "50",
  EMAIL_LEASE_SECONDS: "120",
  // Not the .env.example placeholder: unsubscribe links work on the local stack out of the box.
  EMAIL_UNSUBSCRIBE_SECRET: "local-dev-unsubscribe-secret-not-for-production",
  ZOOM_ACCOUNT_ID: "replace_me",
  ZOOM_CLIENT_ID: "replace_me",
  ZOOM_CLIENT_SECRET: "replace_me",
  ZOOM_WEBHOOK_SECRET_TOKEN: "replace_me",
  ZOOM_HOST_USER: "me",
  ZOOM_WEBHOOK_TOLERANCE_SECONDS: "300",
  LIVE_ATTENDANCE_MIN_PERCENT: "50",
  ZOOM_SYNC_BATCH_SIZE: "20",
  ZOOM_SYNC_LEASE_SECONDS: "120",
  STRIPE_SECRET_KEY: "sk_test_replace_me",
  STRIPE_WEBHOOK_SECRET: "whsec_replace_me",
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: "300",
  CHECKOUT_ALLOWED_ORIGINS: "http://127.0.0.1:3000,http://localhost:3000",
};
