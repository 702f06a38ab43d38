// Keyboard first: what a key does in the inbox.

export type KeyAction =
  | 'down'
  | 'up'
  | 'open'
  | 'search'
  | 'escape'
  | 'sync'
  | 'help'
  | 'select'
  | 'extend-down'
  | 'extend-up'
  | 'palette'
  | 'tag'
  | 'untag'
  | 'move'
  | 'assign'
  | 'assign-me'
  | 'close'
  | 'reopen'
  | 'note'
  | 'new'
  | 'undo'
  | 'redo'
  | 'paste'
  | `macro-${number}`
  | null;

export function keyAction(e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean; shiftKey?: boolean }, typing: boolean): KeyAction {
  if (e.key === 'Escape') return 'escape';
  // The palette opens from anywhere, even from a text field.
  if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) return 'palette';
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return null;
  // A letter's case comes from Shift, not Caps Lock: with Caps Lock on, z still undoes.
  const key = e.shiftKey === undefined || !/^[a-zA-Z]$/.test(e.key) ? e.key : e.shiftKey ? e.key.toUpperCase() : e.key.toLowerCase();
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return 'down';
    case 'k':
    case 'ArrowUp':
      return 'up';
    case 'Enter':
      return 'open';
    case '/':
      return 'search';
    case 'r':
      return 'sync';
    case '?':
      return 'help';
    case 'x':
      return 'select';
    case 'J':
      return 'extend-down';
    case 'K':
      return 'extend-up';
    case 't':
      return 'tag';
    case 'u':
      return 'untag';
    case 'm':
      return 'move';
    case 'a':
      return 'assign';
    case 'i':
      return 'assign-me';
    case 'e':
      return 'close';
    case 'o':
      return 'reopen';
    case 'n':
      return 'new';
    case 'c':
      return 'note';
    case 'z':
      return 'undo';
    case 'Z':
      return 'redo';
    case 'p':
      return 'paste';
    default:
      // 1–9: the macro on that key.
      return /^[1-9]$/.test(key) ? `macro-${Number(key)}` : null;
  }
}

/** Whether focus is in a place where keys are text. */
export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName.toLowerCase();
  // A ticked checkbox keeps the focus, but takes no text: the keys stay the inbox's.
  if (tag === 'input') return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes((el as HTMLInputElement).type);
  return tag === 'textarea' || tag === 'select' || (el as HTMLElement).isContentEditable === true;
}

/** Whether Enter on the focused element is its own: a button or link reached with Tab. One
 * that was clicked keeps the focus too, but then Enter still opens the active ticket. */
export function enterIsOwn(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName.toLowerCase();
  const pressable = tag === 'button' || tag === 'a' || el.getAttribute('role') === 'button';
  return pressable && el.matches(':focus-visible');
}

/** Every key, for the `?` sheet and the palette's hints. */
export const keySheet: [string, string][] = [
  ['j / ↓', 'next ticket'],
  ['k / ↑', 'previous ticket'],
  ['Enter', 'open the ticket'],
  ['x', 'tick the ticket for a bulk action'],
  ['Shift+j / Shift+k', 'tick and extend down or up'],
  ['Ctrl+click, Shift+click', 'tick one, tick a range'],
  ['t', 'add a tag (type to find it)'],
  ['u', 'remove a tag'],
  ['m', 'move to a team'],
  ['a', 'assign to a user'],
  ['i', 'assign to me'],
  ['e', 'close'],
  ['o', 'reopen'],
  ['n', 'a new ticket'],
  ['c', 'write an internal note on the open ticket'],
  ['z', 'undo the last action (again: the one before)'],
  ['Shift+z', 'redo what z took back'],
  ['p', 'paste ticket ids to select them'],
  ['1 … 9', 'run the macro on that key on the open ticket or the ticked ones (one job, one undo)'],
  ['Ctrl+K', 'command palette: every action, view, tag, team, job and setting'],
  ['/', 'search'],
  ['r', 'sync now'],
  ['Esc', 'leave a field, close this, clear the ticks'],
  ['?', 'these keys'],
];
