/**
 * Whether a browser origin is in a list of allowed origins (`cors.allowedOrigins`, a write key's
 * `allowedOrigins`): exact, case-insensitive, `*` for any; a request without an origin is in none.
 */
export function isOriginAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (!origin) return false;
  return allowedOrigins.includes('*') || allowedOrigins.includes(origin.toLowerCase());
}
