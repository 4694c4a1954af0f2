/**
 * @module
 * Get-or-create on a `Map` or `WeakMap`: the value under a key, made and stored the first time.
 */

/**
 * The value under `key`, made with `make` and stored first when there is none.
 * @example
 * entryOf(byOperation, 'getexecution', () => new Map()).set('2xx', 1);
 */
export function entryOf<K, V>(
  map: { get(key: K): V | undefined; set(key: K, value: V): unknown },
  key: K,
  make: () => V,
): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
