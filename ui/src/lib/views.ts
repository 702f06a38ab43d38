// The sidebar's views, as filters over the cache.

import type { Period, SlaFilter, StatusFilter, TicketFilter, TicketSort } from './types';

export type View =
  | { kind: 'mine' }
  | { kind: 'my-teams' }
  | { kind: 'unassigned' }
  | { kind: 'all-open' }
  | { kind: 'at-risk' }
  | { kind: 'breached' }
  | { kind: 'team'; id: string; name: string }
  | { kind: 'tag'; id: string; name: string }
  | { kind: 'saved'; id: number; name: string; filter: TicketFilter }
  | { kind: 'activity' }
  | { kind: 'enrich' }
  | { kind: 'rules' }
  | { kind: 'sla' }
  | { kind: 'workload' }
  | { kind: 'trends' }
  | { kind: 'macros' };

export interface Refine {
  text: string;
  status: StatusFilter | ''; // '' = the view's own
  teamId: string;
  tagId: string;
  assigneeId: string;
  sla: SlaFilter | ''; // '' = the view's own
  sort: TicketSort | ''; // '' = the view's own
  channelId: string;
  /** Created (or closed) within a range: a trend's day opens its tickets. */
  period: Period | null;
}

export const emptyRefine: Refine = { text: '', status: '', teamId: '', tagId: '', assigneeId: '', sla: '', sort: '', channelId: '', period: null };

export function viewTitle(v: View): string {
  switch (v.kind) {
    case 'mine':
      return 'Mine';
    case 'my-teams':
      return 'My teams';
    case 'unassigned':
      return 'Unassigned';
    case 'all-open':
      return 'All open';
    case 'at-risk':
      return 'At risk';
    case 'breached':
      return 'Breached';
    case 'team':
      return v.name;
    case 'tag':
      return v.name;
    case 'saved':
      return v.name;
    case 'activity':
      return 'Activity';
    case 'enrich':
      return 'Enrich';
    case 'rules':
      return 'Rules';
    case 'sla':
      return 'SLA policies';
    case 'workload':
      return 'Workload';
    case 'trends':
      return 'Trends';
    case 'macros':
      return 'Macros';
  }
}

export function sameView(a: View, b: View): boolean {
  return a.kind === b.kind && ('id' in a ? a.id : '') === ('id' in b ? b.id : '');
}

/** The filter for a view, refined by the filter bar. `me` and `myTeams` come from the directory. */
export function filterFor(v: View, r: Refine, me: string | null, myTeams: string[], offset = 0, limit = 100): TicketFilter {
  const f: TicketFilter = { status: 'open', team_id: null, tag_id: null, assignee_id: null, text: null, sla: null, sort: null, channel_id: null, period: null, offset, limit };
  switch (v.kind) {
    case 'mine':
      f.assignee_id = me ?? '-1';
      break;
    case 'my-teams':
      f.team_id = myTeams.length ? myTeams.join(',') : '-1';
      break;
    case 'unassigned':
      f.status = 'unassigned';
      break;
    case 'at-risk':
      f.sla = 'at_risk';
      f.sort = 'next_breach';
      break;
    case 'breached':
      f.sla = 'breached';
      f.sort = 'next_breach';
      break;
    case 'team':
      f.team_id = v.id;
      break;
    case 'tag':
      f.tag_id = v.id;
      break;
    case 'saved':
      f.status = v.filter.status ?? 'open';
      f.team_id = v.filter.team_id;
      f.tag_id = v.filter.tag_id;
      f.assignee_id = v.filter.assignee_id;
      f.text = v.filter.text;
      f.sort = v.filter.sort;
      f.sla = v.filter.sla ?? null;
      f.channel_id = v.filter.channel_id ?? null;
      f.period = v.filter.period ?? null;
      break;
  }
  if (r.status) f.status = r.status;
  if (r.teamId) f.team_id = r.teamId;
  if (r.tagId) f.tag_id = r.tagId;
  if (r.assigneeId) f.assignee_id = r.assigneeId;
  if (r.sla) f.sla = r.sla;
  if (r.sort) f.sort = r.sort;
  if (r.channelId) f.channel_id = r.channelId;
  if (r.period) f.period = r.period;
  if (r.text.trim()) f.text = f.text ? `${f.text} ${r.text.trim()}` : r.text.trim();
  return f;
}

/** What the current view and filter bar show, as a filter to save under a name. */
export function savable(v: View, r: Refine, me: string | null, myTeams: string[]): TicketFilter {
  return { ...filterFor(v, r, me, myTeams), offset: 0, limit: 0 };
}

/** A period in words: "created 6 Dec", "closed 1 Dec – 7 Dec". */
export function periodLabel(p: Period): string {
  const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  const from = Date.parse(p.from);
  const before = Date.parse(p.before);
  const one = before - from <= 25 * 3600 * 1000;
  const span = one ? day(p.from) : `${day(p.from)} – ${day(new Date(before - 1).toISOString())}`;
  return `${p.kind === 'created' ? 'Created' : 'Closed'} ${span}`;
}
