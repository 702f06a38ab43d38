// Keyboard first: what a key does in the inbox.

export type KeyAction = 'down' | 'up' | 'open' | 'search' | 'escape' | 'sync' | 'help' | 'select' | 'extend-down' | 'extend-up' | null;

export function keyAction(e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }, typing: boolean): KeyAction {
  if (e.key === 'Escape') return 'escape';
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
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
    default:
      return null;
  }
}

/** Whether focus is in a place where keys are text. */
export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName.toLowerCase();
  return tag === 'input' || tag === 'textarea' || tag === 'select' || (el as HTMLElement).isContentEditable === true;
}
