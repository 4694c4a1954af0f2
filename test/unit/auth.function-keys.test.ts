import { describe, expect, it } from 'vitest';
import { hostAuthLevel } from '../../src/auth/function-keys.js';

describe('hostAuthLevel: the level a route is registered with', () => {
  it.each([
    [{}, 'function'],
    [{ AUTH_MODE: 'entra' }, 'function'],
    [{ FUNCTION_KEYS: 'off' }, 'function'], // settings refuse this; keys stay on meanwhile
    [{ FUNCTION_KEYS: 'off', AUTH_MODE: 'key' }, 'function'],
    [{ FUNCTION_KEYS: 'Off', AUTH_MODE: 'entra' }, 'function'], // mistyped: keys stay on
    [{ FUNCTION_KEYS: 'required', AUTH_MODE: 'entra' }, 'function'],
    [{ FUNCTION_KEYS: ' off ', AUTH_MODE: 'entra' }, 'anonymous'],
  ])('a keyed route with %o: %s', (env, level) => {
    expect(hostAuthLevel('function', env)).toBe(level);
  });

  it('an anonymous route stays anonymous whatever the settings', () => {
    expect(hostAuthLevel('anonymous', {})).toBe('anonymous');
  });
});
