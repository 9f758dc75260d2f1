// Grow-only typed arrays indexed by store slot (row-slab versions, prediction tables, slot facts).

type TypedArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/** `a` itself when it holds at least `length` elements, else a copy of it doubled (from at least 1,024) until it does. */
export function growTyped<T extends TypedArray>(a: T, length: number): T {
  if (length <= a.length) return a;
  let n = Math.max(1024, a.length);
  while (n < length) n *= 2;
  const grown = new (a.constructor as new (n: number) => T)(n);
  grown.set(a);
  return grown;
}
