// The best `k` of n items without sorting all n (span attributes list the top scores of thousands
// of nodes): one pass keeping a sorted list of at most k indices (insertion), O(n) when k is small. The
// result is exactly the first k of a stable sort by `before` (tested against it).

/** Indices of the first `k` items in the order `before(a, b) < 0` (a first); ties keep index order. */
export function topKIndices(n: number, k: number, before: (a: number, b: number) => number): number[] {
  const top: number[] = [];
  if (k <= 0) return top;
  for (let i = 0; i < n; i++) {
    // Only an item strictly before the current last one displaces it (a tie keeps the earlier index).
    if (top.length === k && before(i, top[k - 1]!) >= 0) continue;
    let j = top.length < k ? top.length : k - 1;
    while (j > 0 && before(i, top[j - 1]!) < 0) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}
