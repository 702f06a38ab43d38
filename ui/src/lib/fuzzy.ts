// Fuzzy matching for the command palette and the action pickers: the typed letters in order,
// scored so that whole words, word starts and letters in a row come first.

/** The score of `text` for `query` (higher is better), or -1 when the letters are not all there in order. */
export function fuzzyScore(query: string, text: string): number {
  const q = query.trim().toLowerCase();
  if (!q) return 0;
  const t = text.toLowerCase();
  const at = t.indexOf(q);
  if (at >= 0) {
    // The whole query as typed: best at a word start, then anywhere; shorter texts first.
    const wordStart = at === 0 || /[\s:#/(-]/.test(t[at - 1]);
    return 1000 + (wordStart ? 500 : 0) - at - t.length / 100;
  }
  let score = 0;
  let ti = 0;
  let run = 0;
  for (const ch of q) {
    if (ch === ' ') continue;
    const found = t.indexOf(ch, ti);
    if (found < 0) return -1;
    const wordStart = found === 0 || /[\s:#/(-]/.test(t[found - 1]);
    run = found === ti ? run + 1 : 0;
    score += 10 + (wordStart ? 15 : 0) + run * 5 - Math.min(found - ti, 10);
    ti = found + 1;
  }
  return score - t.length / 100;
}

/** The items that match `query`, best first (all of them, in order, for an empty query). */
export function fuzzyFilter<T>(items: T[], query: string, text: (item: T) => string): T[] {
  if (!query.trim()) return items;
  return items
    .map((item, i) => ({ item, i, s: fuzzyScore(query, text(item)) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.item);
}
