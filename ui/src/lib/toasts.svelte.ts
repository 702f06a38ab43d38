// Short messages that say what happened.

export interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}

let next = 1;
export const toasts = $state<{ list: Toast[] }>({ list: [] });

export function toast(text: string, kind: 'ok' | 'error' = 'ok', ms = kind === 'error' ? 6000 : 3000): void {
  const id = next++;
  toasts.list.push({ id, text, kind });
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
