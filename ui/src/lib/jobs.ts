// Bulk jobs in words: the confirmation, progress and results.

import type { Action, JobPlan, JobProgress, JobState, JobView } from './types';

export type BulkKind = 'add_tag' | 'remove_tag' | 'assign_team' | 'assign_user' | 'close' | 'reopen' | 'mark_spam' | 'add_note' | 'set_ticket_field';

export const bulkLabels: Record<BulkKind, string> = {
  add_tag: 'Tag',
  remove_tag: 'Untag',
  assign_team: 'Move to team',
  assign_user: 'Assign',
  close: 'Close',
  reopen: 'Reopen',
  mark_spam: 'Spam',
  add_note: 'Add note',
  set_ticket_field: 'Set field',
};

/** The action for a kind and the chosen tag, team, user, note text or field (with its value);
 * null when one is needed and missing. */
export function actionFor(kind: BulkKind, target: string, value = ''): Action | null {
  switch (kind) {
    case 'add_note':
      return target.trim() ? { kind, text: target.trim(), note_id: null } : null;
    case 'set_ticket_field':
      return target ? { kind, field_id: target, value: value.trim() } : null;
    case 'add_tag':
      return target ? { kind, tag_id: target } : null;
    case 'remove_tag':
      return target ? { kind, tag_id: target } : null;
    case 'assign_team':
      return target ? { kind, team_id: target } : null;
    case 'assign_user':
      return target ? { kind, user_id: target } : null;
    case 'close':
    case 'reopen':
    case 'mark_spam':
      return { kind };
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function duration(secs: number): string {
  if (secs < 60) return `${Math.max(0, Math.round(secs))} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${Math.round(secs % 60)} s`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
}

/** "Add tag migrated to 812 tickets; 96 are already so and will be skipped." per change. */
export function planLines(p: JobPlan): string[] {
  return p.changes.map((c) => {
    const head = `${c.label}: ${plural(c.change, 'ticket')} will change`;
    return c.already > 0 ? `${head}; ${c.already.toLocaleString('en-US')} already so and will be skipped` : head;
  });
}

/** Requests and time at the budget, reads included. */
export function planCost(p: JobPlan): string {
  if (p.reads === 0) return `About ${plural(p.requests, 'request')} (no reads first), ${duration(p.eta_secs)} at Trengo's pace.`;
  const how = p.pages > 0 ? `${plural(p.pages, 'list page')} of 25 and ${plural(p.reads - p.pages, 'single read')}` : plural(p.reads, 'read');
  return `About ${plural(p.requests, 'request')} (${how}), ${duration(p.eta_secs)} at Trengo's pace.`;
}

/** Where the counts come from, and what decides. */
export function planBasis(p: JobPlan): string {
  const when = p.cache_read_at ? ` as of ${new Date(p.cache_read_at).toLocaleTimeString()}` : '';
  const unknown = p.unknown > 0 ? ` ${plural(p.unknown, 'ticket')} are not in the cache and counted as changing.` : '';
  return `Counted from the cache${when}; each ticket is read from Trengo right before it changes, and that read decides.${unknown}`;
}

export function percent(p: { finished: number; total: number }): number {
  return p.total === 0 ? 100 : Math.round((p.finished / p.total) * 100);
}

export function progressOf(v: JobView): JobProgress {
  return {
    job_id: v.id,
    state: v.state,
    total: v.total,
    done: v.done,
    skipped: v.skipped,
    failed: v.failed,
    finished: v.done + v.skipped + v.failed + v.cancelled + v.conflicts,
    requests: v.requests,
    eta_secs: 0,
    elapsed_secs: 0,
  };
}

/** "812 changed · 96 already so · 3 failed" */
export function outcome(v: { done: number; skipped: number; failed: number; conflicts?: number }): string {
  const parts = [`${v.done.toLocaleString('en-US')} changed`, `${v.skipped.toLocaleString('en-US')} already so`];
  if (v.failed > 0) parts.push(`${v.failed.toLocaleString('en-US')} failed`);
  if (v.conflicts) parts.push(`${v.conflicts.toLocaleString('en-US')} changed since by someone else, left as they are`);
  return parts.join(' · ');
}

export const stateWords: Record<JobState, string> = {
  pending: 'Waiting',
  running: 'Running',
  paused: 'Paused',
  interrupted: 'Interrupted',
  cancelled: 'Cancelled',
  done: 'Done',
};

/** "1,000 ids · 812 contacts to change · 1,950 field changes (400 unchanged) · 12 not usable" */
export function previewSummary(p: { ids: number; contacts: number; changes: number; unchanged: number; issues: unknown[]; problems: unknown[] }): string {
  const parts = [plural(p.ids, 'id'), `${plural(p.contacts, 'contact')} to change`, `${plural(p.changes, 'field change')} (${p.unchanged.toLocaleString('en-US')} unchanged)`];
  const bad = p.issues.length + p.problems.length;
  if (bad > 0) parts.push(`${bad.toLocaleString('en-US')} not usable`);
  return parts.join(' · ');
}

/** Ids in pasted text, counted as the core reads them (for the live counter only). */
export function countIds(text: string): number {
  return text.split(/[\n,;\t ]+/).filter((t) => t.trim() !== '').length;
}
