// Short messages that say what happened, some with one action (Undo).

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
  action?: ToastAction;
}

const MAX_SHOWN = 3;
let next = 1;
export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function toast(text: string, kind: 'ok' | 'error' = 'ok', ms = kind === 'error' ? 6000 : 3000, action?: ToastAction): void {
  const id = next++;
  // The newest few only: a fast run of keys must not bury the list (older undos stay on z and in
  // Activity). What goes first is the oldest toast without an action; an Undo stays longest.
  const list = [...toasts.list, { id, text, kind, action }];
  while (list.length > MAX_SHOWN) {
    const plain = list.findIndex((t) => !t.action);
    list.splice(plain >= 0 ? plain : 0, 1);
  }
  toasts.list = list;
  setTimeout(() => dismiss(id), action ? Math.max(ms, 10000) : ms);
}

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
