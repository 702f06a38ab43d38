// Times and names as a lead reads them.

/** "just now", "4 min ago", "3 h ago", "2 d ago", or the date. */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86400 * 14) return `${Math.round(s / 86400)} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** A length of time as a lead says it: "20 s", "4 min", "2 h". */
export function span(secs: number): string {
  if (secs < 60) return `${Math.max(1, Math.round(secs))} s`;
  if (secs < 5400) return `${Math.round(secs / 60)} min`;
  return `${Math.round(secs / 3600)} h`;
}

/** The whole instant in the lead's own zone, to the second, with the zone: for a tooltip. */
export function fullTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'long' });
}

/** A clock time for today, else a short date and time. */
export function when(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? hm : `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${hm}`;
}

/** "12", "1.2k". */
export function count(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** Open, Assigned, Closed, Spam: a word for every status, never colour alone. */
export function statusWord(raw: string): string {
  switch (raw.toUpperCase()) {
    case 'OPEN':
      return 'Open';
    case 'ASSIGNED':
      return 'Assigned';
    case 'CLOSED':
      return 'Closed';
    case 'INVALID':
      return 'Spam';
    default:
      return raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase();
  }
}

/** A wait as a lead says it: "45 s", "12 min", "3 h 12 min", "2 d 4 h". */
export function wait(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  if (m < 48 * 60) return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
  const h = Math.floor(m / 60);
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${h / 24} d`;
}

/** A wait in a list cell: "39s", "12m", "3h 12m", "2d 4h". */
export function short(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  return h % 24 ? `${Math.floor(h / 24)}d ${h % 24}h` : `${h / 24}d`;
}

/** Where a row's SLA stands at `now` (ms): the chip's state moves with the clock, from the two
 * instants the radar gave, without asking again. */
export function slaNow(sla: { due_at: string; at_risk_at: string; state: string } | null | undefined, now: number): 'on_track' | 'at_risk' | 'breached' | null {
  if (!sla) return null;
  const due = Date.parse(sla.due_at);
  const risk = Date.parse(sla.at_risk_at);
  if (Number.isNaN(due)) return null;
  if (now >= due) return 'breached';
  if (!Number.isNaN(risk) && now >= risk) return 'at_risk';
  return 'on_track';
}

const TARGET: Record<string, string> = { first_reply: 'first reply', next_reply: 'next reply', resolution: 'resolution' };

/** "first reply due in 18 min", "next reply 2 h late". */
export function slaText(sla: { due_at: string; target: string } | null | undefined, now: number): string {
  if (!sla) return '';
  const due = Date.parse(sla.due_at);
  const what = TARGET[sla.target] ?? sla.target;
  return now >= due ? `${what} ${wait((now - due) / 1000)} late` : `${what} due in ${wait((due - now) / 1000)}`;
}

/** "Waiting 3 h 12 min · first reply due in 18 min", or what of it is known. */
export function clockLine(row: { waiting_since: string | null; sla: { due_at: string; target: string } | null }, now: number): string {
  const parts: string[] = [];
  if (row.waiting_since) parts.push(`Waiting ${wait((now - Date.parse(row.waiting_since)) / 1000)}`);
  if (row.sla) parts.push(slaText(row.sla, now));
  return parts.join(' · ');
}
