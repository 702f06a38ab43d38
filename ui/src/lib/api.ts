// The one way the UI talks to Rust: the generated bindings, with every failure re-thrown as a
// typed DeskError the UI can branch on (`code`) and show (`message`).

import type { ErrorCode, Problem as ApiError } from './bindings';

export class DeskError extends Error {
  code: ErrorCode;
  constructor(e: ApiError) {
    super(e.message);
    this.code = e.code;
    this.name = 'DeskError';
  }
}

type Result<T> = { status: 'ok'; data: T } | { status: 'error'; error: ApiError };

export async function call<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await p;
  } catch (e) {
    console.error('command failed', e);
    throw new DeskError({ code: 'internal', message: 'Trengo Desk could not do that. The details are in the log.' });
  }
  if (r.status === 'ok') return r.data;
  console.warn(`command failed: ${r.error.code}: ${r.error.message}`);
  throw new DeskError(r.error);
}

/** A message for any error. */
export function messageOf(e: unknown): string {
  if (e instanceof DeskError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
