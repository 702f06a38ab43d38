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

let next = 1;
export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function toast(text: string, kind: 'ok' | 'error' = 'ok', ms = kind === 'error' ? 6000 : 3000, action?: ToastAction): void {
  const id = next++;
  toasts.list.push({ id, text, kind, action });
  setTimeout(() => dismiss(id), action ? Math.max(ms, 10000) : ms);
}

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
