import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { lang, T } from '../i18n.js';
import { Dialog, Problem } from '../ui.js';

/** An account as the console weighs it (the server's standing): contained, and the unlocks asked. */
export interface Standing {
  readonly username: string;
  readonly role: string;
  readonly status: string;
  readonly state: string;
  readonly contained: boolean;
  readonly unlockRequestedBy: string[];
}

export interface Alert {
  id: string;
  at: string;
  userId: string;
  username: string | null;
  severity: string;
  action: string;
  reasons: string[];
  /** The reasons in French, as the person refused was told them (absent from an older server). */
  explanations?: string[];
  evidence: { rule: string; count: number; window: string }[];
  /** The account's standing (absent from an older server, null for an account gone). */
  account?: Standing | null;
}

/** A rule's reason in the reader's language: the server's French explanation, or its English reason. */
export function reasonText(a: Pick<Alert, 'reasons' | 'explanations'>, i: number): string {
  return lang() === 'fr' ? (a.explanations?.[i] ?? a.reasons[i] ?? '') : (a.reasons[i] ?? '');
}

export function severityName(s: string): string {
  switch (s) {
    case 'critical': return T('critique', 'critical');
    case 'high': return T('élevée', 'high');
    case 'medium': return T('moyenne', 'medium');
    default: return s;
  }
}

/** The detector's responses and account states, in words. */
export function actionName(a: string): string {
  switch (a) {
    case 'allow': return T('normal', 'normal');
    case 'alert': return T('alerte', 'alert');
    case 'step-up': return T('ré-authentification', 'step-up');
    case 'throttle': return T('ralenti', 'throttled');
    case 'suspend': return T('suspendu', 'suspended');
    case 'lock': return T('verrouillé', 'locked');
    default: return a;
  }
}

export function statusName(s: string): string {
  switch (s) {
    case 'active': return T('actif', 'active');
    case 'locked': return T('verrouillé', 'locked');
    case 'pending': return T('en attente d’activation', 'pending enrolment');
    case 'disabled': return T('désactivé', 'disabled');
    default: return s;
  }
}

export function roleName(r: string): string {
  switch (r) {
    case 'practitioner': return T('médecin', 'practitioner');
    case 'assistant': return T('assistant·e', 'assistant');
    case 'practice-admin': return T('administrateur du cabinet', 'practice administrator');
    case 'security-officer': return T('responsable sécurité', 'security officer');
    default: return r;
  }
}

/** The first characters of an identifier, to name a thing that has no name (an incident, a practice). */
export function short(id: string): string {
  return id.slice(0, 8);
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * The last `count` steps (hours, days: UTC-aligned, as the server truncates them) up to now, in
 * milliseconds: a chart spans the window asked, not just the steps that had activity.
 */
export function steps(step: number, count: number, now = Date.now()): number[] {
  const last = Math.floor(now / step) * step;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * step);
}

/** The rows' values at those steps; a step without a row is a zero (a quiet hour, not a gap the line jumps). */
export function valuesAt<R>(times: readonly number[], step: number, rows: readonly R[], at: (r: R) => number,
  value: (r: R) => number): number[] {
  const by = new Map(rows.map((r) => [Math.floor(at(r) / step) * step, value(r)]));
  return times.map((t) => by.get(t) ?? 0);
}

/**
 * What the server says at `path`, asked again every `every` ms (0: once) and whenever `deps`
 * change; `reload` asks at once.
 */
export function useServer<R>(path: string, every = 0, deps: readonly unknown[] = []) {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () => get<R>(path).then((r) => {
      if (stop) return;
      setData(r);
      setError(null);
    }).catch((e) => !stop && setError(e));
    void load();
    const timer = every > 0 ? setInterval(load, every) : null;
    return () => {
      stop = true;
      if (timer) clearInterval(timer);
    };
  }, [path, n, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

/**
 * A confirmation before an action that contains, lifts or approves: what will happen, in plain
 * words, then Cancel (focused: Enter alone does nothing harmful; Escape cancels too) and the action.
 * The server's refusal, if any, is shown in the box.
 */
export function Confirm(p: {
  id: string; title: string; action: string; danger?: boolean; close: () => void; act: () => Promise<void>;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Escape cancels wherever the focus is: the Dialog's own handling.
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await p.act();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog id={p.id} title={p.title} close={p.close}>
      <div class="confirm-body" data-testid="confirm-body">{p.children}</div>
      <p class="muted">{T('Cette action est enregistrée à votre nom dans le journal d’audit.',
        'This action is recorded under your name in the audit log.')}</p>
      <Problem error={error} />
      <div class="actions confirm-actions">
        <button type="button" onClick={p.close} autoFocus>{T('Annuler', 'Cancel')}</button>
        <button type="button" class={p.danger ? 'danger' : 'primary'} onClick={go} disabled={busy}>{p.action}</button>
      </div>
    </Dialog>
  );
}
