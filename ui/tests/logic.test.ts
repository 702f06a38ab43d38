import { describe, expect, it } from 'vitest';
import { chipColors, contrastRatio, parseHex, textOn } from '../src/lib/contrast';
import { pagesFor, scrollToShow, visibleRange } from '../src/lib/virtual';
import { ago, clockLine, count, short, slaNow, statusWord, wait } from '../src/lib/format';
import { enterIsOwn, isTyping, keyAction } from '../src/lib/keys';
import { emptyRefine, filterFor } from '../src/lib/views';
import { fuzzyFilter, fuzzyScore } from '../src/lib/fuzzy';
import { planBasis, actionFor, duration, outcome, percent, planCost, planLines } from '../src/lib/jobs';

describe('label chips keep WCAG AA contrast', () => {
  it('picks black or white text, whichever reads better', () => {
    for (const bg of ['#ffce54', '#ed5565', '#a0d468', '#4fc1e9', '#ac92ec', '#434a54', '#ffffff', '#000000', '#656d78']) {
      const fg = textOn(bg);
      const ratio = contrastRatio(parseHex(bg)!, parseHex(fg)!);
      // The better of black and white always reaches 4.5:1 except for a few mid greys (≥ 4.0).
      expect(ratio).toBeGreaterThanOrEqual(4.0);
    }
    expect(textOn('#ffce54')).toBe('#000000');
    expect(textOn('#434a54')).toBe('#ffffff');
  });
  it('survives missing and broken colours', () => {
    expect(chipColors(null).bg).toBe('var(--chip-neutral)');
    expect(chipColors('red; background:url(x)').bg).toBe('var(--chip-neutral)');
    expect(chipColors('#abc')).toEqual({ bg: '#aabbcc', fg: '#000000' });
  });
});

describe('the virtual list', () => {
  it('renders only what is in view, plus overscan', () => {
    expect(visibleRange(0, 600, 100_000)).toEqual({ first: 0, last: 30 });
    const r = visibleRange(300_000, 600, 100_000);
    expect(r.first).toBe(9990);
    expect(r.last).toBe(10030);
    expect(visibleRange(0, 600, 5)).toEqual({ first: 0, last: 5 });
    expect(visibleRange(0, 600, 0)).toEqual({ first: 0, last: 0 });
  });
  it('asks for the pages that hold a range', () => {
    expect(pagesFor({ first: 90, last: 130 })).toEqual([0, 1]);
    expect(pagesFor({ first: 0, last: 0 })).toEqual([]);
  });
  it('scrolls just enough to show the active row', () => {
    expect(scrollToShow(0, 300, 600)).toBe(0);
    expect(scrollToShow(15, 0, 600)).toBe(0);
    expect(scrollToShow(25, 0, 600)).toBe(26 * 30 - 600);
  });
});

describe('words and times', () => {
  it('says how old', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(ago('2026-11-25T11:59:50Z', now)).toBe('just now');
    expect(ago('2026-11-25T11:56:00Z', now)).toBe('4 min ago');
    expect(ago('2026-11-25T09:00:00Z', now)).toBe('3 h ago');
    expect(ago(null, now)).toBe('—');
    expect(ago('garbage', now)).toBe('—');
  });
  it('names every status in words', () => {
    expect(['OPEN', 'ASSIGNED', 'CLOSED', 'INVALID'].map(statusWord)).toEqual(['Open', 'Assigned', 'Closed', 'Spam']);
    expect(count(1234)).toBe('1.2k');
  });
});

describe('keys', () => {
  it('maps the inbox keys, and none while typing', () => {
    expect(keyAction({ key: 'j' }, false)).toBe('down');
    expect(keyAction({ key: 'k' }, false)).toBe('up');
    expect(keyAction({ key: 'Enter' }, false)).toBe('open');
    expect(keyAction({ key: '/' }, false)).toBe('search');
    expect(keyAction({ key: 'j' }, true)).toBe(null);
    expect(keyAction({ key: 'Escape' }, true)).toBe('escape');
    expect(keyAction({ key: 'j', ctrlKey: true }, false)).toBe(null);
  });
});

describe('views become cache filters', () => {
  it('mine, my teams, a tag, refined', () => {
    expect(filterFor({ kind: 'mine' }, emptyRefine, '3601', []).assignee_id).toBe('3601');
    expect(filterFor({ kind: 'my-teams' }, emptyRefine, '3601', ['201', '202']).team_id).toBe('201,202');
    const f = filterFor({ kind: 'tag', id: '1001', name: 'billing' }, { ...emptyRefine, text: ' refund ', status: 'any' }, null, []);
    expect(f).toMatchObject({ tag_id: '1001', text: 'refund', status: 'any' });
    expect(filterFor({ kind: 'unassigned' }, emptyRefine, null, []).status).toBe('unassigned');
  });
});

describe('bulk jobs in words', () => {
  it('says per change how many change and how many are skipped', () => {
    const plan = {
      title: 'Add tag migrated',
      selection: 'all 908 matching status open',
      tickets: 908,
      changes: [{ label: 'Add tag migrated', change: 812, already: 96 }],
      unknown: 0,
      cache_read_at: null,
      reads: 34,
      pages: 33,
      requests: 846,
      eta_secs: 410,
      problems: [],
      duplicates: 0,
    };
    expect(planLines(plan)).toEqual(['Add tag migrated: 812 tickets will change; 96 already so and will be skipped']);
    expect(planCost(plan)).toBe("About 846 requests (33 list pages of 25 and 1 single read), 6 min 50 s at Trengo's pace.");
    expect(planCost({ ...plan, pages: 0, reads: 908 })).toContain('(908 reads)');
    expect(planBasis({ ...plan, unknown: 3 })).toContain('3 tickets are not in the cache and counted as changing');
    expect(planBasis(plan)).toContain('each ticket is read from Trengo right before it changes');
  });

  it('builds an action only when its target is chosen', () => {
    expect(actionFor('add_tag', '')).toBeNull();
    expect(actionFor('assign_team', '202')).toEqual({ kind: 'assign_team', team_id: '202' });
    expect(actionFor('close', '')).toEqual({ kind: 'close' });
  });

  it('reports progress and outcome', () => {
    expect(percent({ finished: 212, total: 800 })).toBe(27);
    expect(percent({ finished: 0, total: 0 })).toBe(100);
    expect(outcome({ done: 1200, skipped: 3, failed: 0 })).toBe('1,200 changed · 3 already so');
    expect(outcome({ done: 1, skipped: 0, failed: 2 })).toBe('1 changed · 0 already so · 2 failed');
    expect(duration(59)).toBe('59 s');
    expect(duration(3725)).toBe('1 h 2 min');
  });

  it('x ticks, Shift+j/k extend, and typing keeps its keys', () => {
    expect(keyAction({ key: 'x' }, false)).toBe('select');
    expect(keyAction({ key: 'J' }, false)).toBe('extend-down');
    expect(keyAction({ key: 'K' }, false)).toBe('extend-up');
    expect(keyAction({ key: 'x' }, true)).toBeNull();
  });
});

describe('action keys and the palette', () => {
  it('maps the triage keys, and Ctrl+K even while typing', () => {
    const k = (key: string, typing = false, mods = {}) => keyAction({ key, ...mods }, typing);
    expect([k('t'), k('u'), k('m'), k('a'), k('i'), k('e'), k('o'), k('c'), k('n'), k('z'), k('Z'), k('p')]).toEqual([
      'tag', 'untag', 'move', 'assign', 'assign-me', 'close', 'reopen', 'note', 'new', 'undo', 'redo', 'paste',
    ]);
    expect(k('k', true, { ctrlKey: true })).toBe('palette');
    expect(k('k', false, { metaKey: true })).toBe('palette');
    expect(k('t', true)).toBe(null);
    expect(k('e', false, { ctrlKey: true })).toBe(null);
    // Caps Lock gives capitals without Shift: they are still the plain keys.
    expect([k('Z', false, { shiftKey: false }), k('J', false, { shiftKey: false }), k('z', false, { shiftKey: true })]).toEqual(['undo', 'down', 'redo']);
  });
  it('keeps keys for the inbox on a ticked checkbox, not in a text field', () => {
    // The node environment has no DOM: what the checks read, no more.
    const el = (tag: string, type = '', tabbed = true) =>
      ({ tagName: tag.toUpperCase(), type, isContentEditable: false, getAttribute: () => null, matches: () => tabbed }) as unknown as Element;
    expect(isTyping(el('input', 'checkbox'))).toBe(false);
    expect(isTyping(el('input', 'text'))).toBe(true);
    expect(isTyping(el('textarea'))).toBe(true);
    expect(enterIsOwn(el('button'))).toBe(true);
    expect(enterIsOwn(el('button', '', false))).toBe(false);
    expect(enterIsOwn(el('div'))).toBe(false);
  });
  it('finds "Move to Billing" from a few letters, whole words first', () => {
    const items = ['Action: Add tag billing', 'Action: Move to Billing', 'Action: Move to Support', 'View: Team Billing', 'Action: Close'];
    expect(fuzzyFilter(items, 'move bill', (s) => s)[0]).toBe('Action: Move to Billing');
    expect(fuzzyFilter(items, 'mtb', (s) => s)[0]).toBe('Action: Move to Billing');
    expect(fuzzyFilter(items, 'close', (s) => s)).toEqual(['Action: Close']);
    expect(fuzzyFilter(items, 'zzz', (s) => s)).toEqual([]);
    expect(fuzzyFilter(items, '', (s) => s)).toEqual(items);
    expect(fuzzyScore('bill', 'Team Billing')).toBeGreaterThan(fuzzyScore('bill', 'rebilling'));
  });
});

describe('the SLA radar in the list', () => {
  const due = '2026-12-06T10:00:00Z';
  const risk = '2026-12-06T09:45:00Z';
  const at = (s: string) => Date.parse(s);
  it('moves a chip from on track to at risk to breached as the clock runs, without asking again', () => {
    const sla = { state: 'on_track', due_at: due, at_risk_at: risk, target: 'first_reply' };
    expect(slaNow(sla, at('2026-12-06T09:30:00Z'))).toBe('on_track');
    expect(slaNow(sla, at('2026-12-06T09:45:00Z'))).toBe('at_risk');
    expect(slaNow(sla, at('2026-12-06T10:00:00Z'))).toBe('breached');
    expect(slaNow(null, 0)).toBeNull();
  });
  it('says the wait and the target in words', () => {
    expect(wait(59)).toBe('59 s');
    expect(wait(12 * 60)).toBe('12 min');
    expect(wait(3 * 3600 + 12 * 60)).toBe('3 h 12 min');
    expect(wait(52 * 3600)).toBe('2 d 4 h');
    expect([short(39), short(12 * 60), short(3 * 3600 + 12 * 60), short(52 * 3600)]).toEqual(['39s', '12m', '3h 12m', '2d 4h']);
    const row = { waiting_since: '2026-12-06T06:30:00Z', sla: { due_at: due, target: 'first_reply' } };
    expect(clockLine(row, at('2026-12-06T09:42:00Z'))).toBe('Waiting 3 h 12 min · first reply due in 18 min');
    expect(clockLine(row, at('2026-12-06T10:05:00Z'))).toBe('Waiting 3 h 35 min · first reply 5 min late');
    expect(clockLine({ waiting_since: null, sla: null }, 0)).toBe('');
  });
  it('gives the At risk and Breached views their filter, soonest breach first', () => {
    const f = filterFor({ kind: 'at-risk' }, emptyRefine, null, []);
    expect([f.sla, f.sort, f.status]).toEqual(['at_risk', 'next_breach', 'open']);
    expect(filterFor({ kind: 'breached' }, emptyRefine, null, []).sla).toBe('breached');
    expect(filterFor({ kind: 'all-open' }, { ...emptyRefine, sla: 'due', sort: 'waiting' }, null, []).sort).toBe('waiting');
  });
});
