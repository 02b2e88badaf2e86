import { isId } from '../domain/index.js';
import type { Json } from './module.js';
import { calendarInstant } from './elements.js';

/**
 * Small checks the clinical modules share, each returning problems in words a client can act on.
 * The official JSON schema has run before (fhir/validator.ts): shapes are right, these check meaning.
 */
export class Problems {
  readonly list: string[] = [];

  constructor(private readonly type: string) {}

  add(p: string): void {
    this.list.push(`${this.type}.${p}`);
  }

  /** Only these top-level elements; medvault sets `id`, `meta` and the server-owned ones itself. */
  only(r: Json, allowed: readonly string[], serverOwned: readonly string[]): void {
    for (const k of Object.keys(r)) {
      if (k === 'resourceType' || (k === 'id' && typeof r.id === 'string')) continue;
      if (serverOwned.includes(k) || k === 'meta') this.add(`${k} is set by medvault`);
      else if (!allowed.includes(k)) this.add(`${k} is not accepted`);
    }
  }

  /** A reference to a resource of this type with a medvault id. */
  reference(v: unknown, path: string, type: string, required: boolean): string | null {
    if (v === undefined) {
      if (required) this.add(`${path} is required (${type}/{id})`);
      return null;
    }
    const ref = (v as Json | null)?.reference;
    const m = typeof ref === 'string' ? new RegExp(`^${type}/(.+)$`).exec(ref) : null;
    if (!m || !isId(m[1] as string)) {
      this.add(`${path} must reference ${type}/{id}`);
      return null;
    }
    return m[1] as string;
  }

  /** A CodeableConcept with a coding of one of these systems whose code passes `valid`. */
  coded(v: unknown, path: string, systems: Record<string, (code: string) => boolean>, required: boolean): Json | null {
    if (v === undefined) {
      if (required) this.add(`${path} is required`);
      return null;
    }
    const codings = Array.isArray((v as Json).coding) ? ((v as Json).coding as Json[]) : [];
    const known = codings.filter((c) => typeof c.system === 'string' && systems[c.system] !== undefined);
    if (known.length === 0) {
      this.add(`${path} needs a coding from ${Object.keys(systems).join(' or ')}`);
      return null;
    }
    for (const c of known) {
      if (typeof c.code !== 'string' || !systems[c.system as string]!(c.code)) {
        this.add(`${path}: a code is not a valid ${c.system as string} code`);
      }
    }
    return known[0]!;
  }

  /** A code from a fixed set (a FHIR required binding), in a CodeableConcept of that system. */
  status(v: unknown, path: string, system: string, codes: readonly string[], required: boolean): string | null {
    if (v === undefined) {
      if (required) this.add(`${path} is required (${codes.join(', ')})`);
      return null;
    }
    const codings = Array.isArray((v as Json).coding) ? ((v as Json).coding as Json[]) : [];
    const c = codings.find((x) => x.system === system);
    if (!c || typeof c.code !== 'string' || !codes.includes(c.code)) {
      this.add(`${path} must be one of ${codes.join(', ')} (${system})`);
      return null;
    }
    return c.code;
  }

  /** A plain code from a fixed set. */
  code(v: unknown, path: string, codes: readonly string[], required: boolean): string | null {
    if (v === undefined) {
      if (required) this.add(`${path} is required (${codes.join(', ')})`);
      return null;
    }
    if (typeof v !== 'string' || !codes.includes(v)) {
      this.add(`${path} must be one of ${codes.join(', ')}`);
      return null;
    }
    return v;
  }

  /** A date or dateTime not after now (plus a day's clock skew); returns it as a Date. */
  past(v: unknown, path: string, now: Date, required: boolean): Date | null {
    if (v === undefined) {
      if (required) this.add(`${path} is required`);
      return null;
    }
    const d = calendarInstant(v);
    if (!d) {
      this.add(`${path} is not a date`);
      return null;
    }
    if (d.getTime() > now.getTime() + 86_400_000) this.add(`${path} is in the future`);
    if (d.getUTCFullYear() < 1900) this.add(`${path} is before 1900`);
    return d;
  }

  /** Free text with a length limit (sealed with the resource). */
  text(v: unknown, path: string, max: number): void {
    if (v === undefined) return;
    if (typeof v !== 'string' || v.trim() === '' || v.length > max) this.add(`${path} holds 1 to ${max} characters`);
  }

  /** Annotations (`note`): at most a few, each with text. */
  notes(v: unknown, path: string): void {
    if (v === undefined) return;
    if (!Array.isArray(v) || v.length > 10) {
      this.add(`${path}: at most 10 annotations`);
      return;
    }
    v.forEach((n, i) => this.text((n as Json).text, `${path}[${i}].text`, 10_000));
  }
}

export const icd10Code = (c: string) => /^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$/.test(c);
export const snomedCode = (c: string) => /^[1-9][0-9]{5,17}$/.test(c);
export const loincCode = (c: string) => /^[0-9]{1,7}-[0-9]$/.test(c);
export const atcCode = (c: string) => /^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$/.test(c);
