// Label chips in Trengo's own colour, with a text colour that keeps WCAG AA contrast.

/** `#rgb` or `#rrggbb` to [r, g, b] in 0..255; null when unreadable. */
export function parseHex(color: string | null | undefined): [number, number, number] | null {
  if (!color) return null;
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return null;
  let h = m[1];
  if (h.length === 3) h = h.split('').map((c) => c + c).join('');
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** Relative luminance (WCAG 2.x). */
export function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white text, whichever contrasts more with the background. */
export function textOn(background: string | null | undefined): string {
  const rgb = parseHex(background);
  if (!rgb) return 'inherit';
  return contrastRatio(rgb, [0, 0, 0]) >= contrastRatio(rgb, [255, 255, 255]) ? '#000000' : '#ffffff';
}

/** A chip's colours; a missing or broken colour gets a neutral chip. */
export function chipColors(color: string | null | undefined): { bg: string; fg: string } {
  const rgb = parseHex(color);
  if (!rgb) return { bg: 'var(--chip-neutral)', fg: 'var(--text)' };
  const hex = '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
  return { bg: hex, fg: textOn(hex) };
}
