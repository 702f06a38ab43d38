// The ticket list renders only the rows in view; rows arrive from the cache in pages.

export const ROW_HEIGHT = 30;
export const PAGE_SIZE = 100;

export interface Range {
  first: number;
  last: number; // exclusive
}

/** The rows to render for a scroll position, with some overscan, within 0..total. */
export function visibleRange(scrollTop: number, viewport: number, total: number, overscan = 10, rowHeight = ROW_HEIGHT): Range {
  if (total <= 0 || viewport <= 0) return { first: 0, last: Math.min(total, Math.max(0, overscan)) };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

/** The pages (by index) that hold the rows of a range. */
export function pagesFor(range: Range, pageSize = PAGE_SIZE): number[] {
  if (range.last <= range.first) return [];
  const out: number[] = [];
  for (let p = Math.floor(range.first / pageSize); p <= Math.floor((range.last - 1) / pageSize); p++) out.push(p);
  return out;
}

/** The scroll position that keeps row `index` in view (unchanged when it already is). */
export function scrollToShow(index: number, scrollTop: number, viewport: number, rowHeight = ROW_HEIGHT): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return scrollTop;
}
