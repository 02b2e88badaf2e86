import { randomUUID } from 'node:crypto';
import {
  beaconValues, clinicalDate, patientOf, REGISTRY, type Json, type ResourceModule,
} from '../../src/resources/index.js';
import { ResourceRepository, type Database } from '../../src/store/index.js';
import type { Vault } from '../../src/vault/index.js';

/**
 * The registry's clinical types for the suites that attack, scope, shred and rotate them: resources
 * written straight through the repository (as the records would, without the HTTP round trip), and
 * what a response actually carried of them (the suites' ground truth).
 */

/** A resource as the records would store it: the module's checks passed, its beacons, labels and date. */
export interface ClinicalWrite {
  readonly practiceId: string;
  readonly patientId: string;
  readonly authorId: string;
  readonly type: string;
  readonly at: Date;
  /** The body (default: the module's example); the author elements are set here, as the records set them. */
  readonly body?: Json;
}

function moduleOf(type: string): ResourceModule {
  const m = REGISTRY.module(type);
  if (!m) throw new Error(`${type} is not a registered clinical type`);
  return m;
}

/** What the route layer derives from a client's body before the records write it (src/server/resource-routes.ts). */
export function derived(m: ResourceModule, body: Json, at: Date) {
  const checked = m.check(body, at);
  if (checked.problems.length > 0) throw new Error(`${m.type} refused by its module: ${checked.problems.join('; ')}`);
  return {
    tokens: beaconValues(m, body),
    labels: m.labels(body),
    effectiveAt: clinicalDate(body, m.date),
  };
}

/**
 * Writes resources in one clinical transaction of their practice: each a new resource (version 1),
 * or the next version of `update.id`. Returns their ids and versions, in order.
 */
export async function writeClinical(
  db: Database, vault: Vault, practiceId: string,
  writes: readonly (ClinicalWrite & { readonly update?: { id: string; expected: number } })[],
): Promise<{ id: string; version: number; type: string; patientId: string }[]> {
  return db.transaction({ role: 'clinical', practiceId }, async (tx) => {
    const repo = new ResourceRepository(tx, vault.clinical(practiceId));
    const out: { id: string; version: number; type: string; patientId: string }[] = [];
    for (const w of writes) {
      if (w.practiceId !== practiceId) throw new Error('one practice per transaction');
      const m = moduleOf(w.type);
      const sent = w.body ?? m.example(w.patientId, w.authorId, w.at);
      const { tokens, labels, effectiveAt } = derived(m, sent, w.at);
      const body = { ...sent, ...m.author({ reference: `Practitioner/${w.authorId}` }) };
      const id = w.update?.id ?? randomUUID();
      const version = await repo.write(
        {
          id, type: w.type, patientId: w.patientId, authorId: w.authorId, writtenAt: w.at,
          effectiveAt, labels, body, tokens,
        },
        w.update?.expected ?? null,
      );
      if (version === null) throw new Error(`version conflict writing ${w.type}/${id}`);
      out.push({ id, version, type: w.type, patientId: w.patientId });
    }
    return out;
  });
}

/** One registry resource a response carried. */
export interface CarriedResource {
  readonly type: string;
  readonly id: string;
  readonly version: string | null;
  readonly patientId: string;
  readonly labels: string[];
  readonly body: Json;
}

/** The registry resources in a response body (a resource, or a Bundle's entries). */
export function clinicalIn(body: Json): CarriedResource[] {
  const resources = body.resourceType === 'Bundle'
    ? ((body.entry as { resource?: Json }[] | undefined) ?? []).map((e) => e.resource)
      .filter((r): r is Json => r !== undefined)
    : [body];
  const out: CarriedResource[] = [];
  for (const r of resources) {
    const m = typeof r.resourceType === 'string' ? REGISTRY.module(r.resourceType) : null;
    if (!m) continue;
    const patientId = patientOf(r, m.patient);
    if (patientId === null) throw new Error(`${m.type}/${String(r.id)} carried without its patient`);
    const meta = (r.meta ?? {}) as { versionId?: string; security?: { code: string }[] };
    const labels = (meta.security ?? []).map((s) => s.code).filter((c) => c !== 'N' && c !== 'R');
    out.push({ type: m.type, id: String(r.id), version: meta.versionId ?? null, patientId, labels, body: r });
  }
  return out;
}

/** What responses carried of the registry's types: the resources, and the patients they are about (by type, in all). */
export class ClinicalHaul {
  readonly resources = new Map<string, CarriedResource>();
  readonly byType = new Map<string, Set<string>>();

  add(body: Json): void {
    for (const r of clinicalIn(body)) {
      this.resources.set(`${r.type}/${r.id}`, r);
      const set = this.byType.get(r.type) ?? new Set<string>();
      set.add(r.patientId);
      this.byType.set(r.type, set);
    }
  }

  /** Distinct patients whose clinical resources (of `type`, or of any type) were carried. */
  patients(type?: string): Set<string> {
    if (type !== undefined) return new Set(this.byType.get(type) ?? []);
    return new Set([...this.byType.values()].flatMap((s) => [...s]));
  }
}
