/**
 * @module
 * Whether the Functions host checks function keys. An operator who has moved every caller to
 * Entra ID turns keys off (`FUNCTION_KEYS=off` with `AUTH_MODE=entra`): keyed routes are then
 * registered `anonymous`, as the platform advises behind an app-level check, and the app's
 * Entra check (authenticate.ts, which goes by the route's declared level) is the only one.
 * Read from the environment when functions are registered, before settings are loaded; any
 * other combination keeps keys on, so a mistyped setting never opens a route.
 * @see https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger#secure-an-http-endpoint-in-production
 */

type AuthLevel = 'anonymous' | 'function';

/**
 * @example
 * app.http(route.name, { ...route, authLevel: hostAuthLevel(route.authLevel) });
 */
export function hostAuthLevel(declared: AuthLevel, env: NodeJS.ProcessEnv = process.env): AuthLevel {
  if (declared === 'anonymous') return declared;
  return functionKeysOff(env) ? 'anonymous' : 'function';
}

/** True only for exactly `FUNCTION_KEYS=off` and `AUTH_MODE=entra` (settings reject `off` alone). */
function functionKeysOff(env: Record<string, string | undefined>): boolean {
  return env.FUNCTION_KEYS?.trim() === 'off' && env.AUTH_MODE?.trim() === 'entra';
}
