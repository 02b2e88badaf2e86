import { bundleWarning, entries, get, patientName } from '../api.js';
import { practitionerName } from '../authors.js';

/** What the agenda shows: the practice's settings and its appointments, as the server gives them. */
export interface VisitType {
  id: string;
  label: string;
  minutes: number;
  colour: string;
  kind: 'consultation' | 'home-visit' | 'teleconsultation';
  active: boolean;
}
export interface Hours { practitionerId: string | null; weekday: number; opens: string; closes: string }
export interface Absence { id: string; practitionerId: string; start: string; end: string }
export interface Settings { visitTypes: VisitType[]; hours: Hours[]; absences: Absence[] }
export interface Doctor { id: string; name: string }

/** An Appointment resource reduced to what the screens use. */
export interface Visit {
  id: string;
  patientId: string;
  practitionerId: string;
  start: Date;
  end: Date;
  status: 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';
  kind: VisitType['kind'];
  visitTypeId: string | null;
  cancelReason: string | null;
}

export const VISIT_TYPE_SYSTEM = 'https://medvault.example/fhir/CodeSystem/visit-type';
export const CANCEL_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason';

export const DAY_MS = 86_400_000;

/** Local midnight of a day. */
export function dayStart(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}
export function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n, d.getHours(), d.getMinutes());
}
/** The Monday of a day's week. */
export function weekStart(d: Date): Date {
  const day = dayStart(d);
  return addDays(day, -((day.getDay() + 6) % 7));
}
/** A day as YYYY-MM-DD (local), for URLs and date inputs. */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
export function parseDay(s: string | undefined): Date {
  const m = s ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(s) : null;
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : dayStart(new Date());
}
/** A local date and time input's value ("YYYY-MM-DDTHH:MM"). */
export function localInput(d: Date): string {
  return `${isoDay(d)}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekday(d: Date): number {
  return ((d.getDay() + 6) % 7) + 1;
}

export function visitOf(a: any): Visit {
  const ref = (prefix: string) => (a.participant ?? [])
    .map((p: any) => p.actor?.reference as string | undefined)
    .find((r: string | undefined) => r?.startsWith(prefix))?.slice(prefix.length) ?? '';
  return {
    id: a.id, patientId: ref('Patient/'), practitionerId: ref('Practitioner/'),
    start: new Date(a.start), end: new Date(a.end), status: a.status,
    kind: a.serviceType?.[0]?.coding?.[0]?.code ?? 'consultation',
    visitTypeId: a.appointmentType?.coding?.[0]?.code ?? null,
    cancelReason: a.cancelationReason?.coding?.[0]?.code ?? null,
  };
}

/** The FHIR Appointment a visit is written as. */
export function appointmentOf(v: Omit<Visit, 'id'> & { id?: string }): any {
  return {
    resourceType: 'Appointment', ...(v.id ? { id: v.id } : {}), status: v.status,
    serviceType: [{ coding: [{ system: 'https://medvault.example/fhir/CodeSystem/encounter-kind', code: v.kind }] }],
    ...(v.visitTypeId ? { appointmentType: { coding: [{ system: VISIT_TYPE_SYSTEM, code: v.visitTypeId }] } } : {}),
    ...(v.status === 'cancelled' && v.cancelReason
      ? { cancelationReason: { coding: [{ system: CANCEL_REASON_SYSTEM, code: v.cancelReason }] } } : {}),
    start: v.start.toISOString(), end: v.end.toISOString(),
    participant: [
      { actor: { reference: `Patient/${v.patientId}` }, status: 'accepted' },
      { actor: { reference: `Practitioner/${v.practitionerId}` }, status: 'accepted' },
    ],
  };
}

function nextPath(b: any): string | null {
  const next = (b.link ?? []).find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
  if (!next) return null;
  const u = new URL(next, location.origin);
  return u.pathname + u.search;
}

/**
 * Every appointment of [from, to), page after page: a day is never silently cut. `cut` holds the
 * server's words when the disclosure budgets cut the listing (it then says so on screen).
 */
export async function loadVisits(
  from: Date, to: Date, practitionerId: string | null,
): Promise<{ visits: Visit[]; cut: string | null }> {
  const who = practitionerId ? `&practitioner=${practitionerId}` : '';
  let path: string | null = `/fhir/Appointment?date=ge${from.toISOString()}&date=lt${to.toISOString()}${who}&_count=100`;
  const visits: Visit[] = [];
  let cut: string | null = null;
  for (let i = 0; i < 50 && path; i++) {
    const b: any = await get(path);
    visits.push(...entries(b).map(visitOf));
    cut ??= bundleWarning(b);
    path = nextPath(b);
  }
  return { visits: visits.sort((x, y) => x.start.getTime() - y.start.getTime()), cut };
}

/** The practice's practitioners (the listing of its staff, doctors only). */
export async function loadDoctors(): Promise<Doctor[]> {
  const out: Doctor[] = [];
  let path: string | null = '/fhir/Practitioner?_count=50';
  for (let i = 0; i < 10 && path; i++) {
    const b: any = await get(path);
    for (const p of entries(b)) if (p.name?.[0]?.prefix?.includes('Dr')) out.push({ id: p.id, name: practitionerName(p) });
    path = nextPath(b);
  }
  return out;
}

export function loadSettings(from: Date, to: Date): Promise<Settings> {
  return get(`/agenda/settings?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
}

/**
 * Patients' names, read once each per signed-in person (each read is counted and audited as one);
 * another person signing in on the same page starts afresh.
 */
const names = new Map<string, Promise<string>>();
let namesOf: string | null = null;
export function patientNameOf(userId: string, id: string): Promise<string> {
  if (namesOf !== userId) {
    names.clear();
    namesOf = userId;
  }
  let n = names.get(id);
  if (!n) {
    n = get(`/fhir/Patient/${id}`).then(patientName).catch(() => '—');
    names.set(id, n);
  }
  return n;
}
