import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { labelName } from '../i18n.js';
import { Problem } from '../ui.js';
import { sensitivityOf } from './read.js';

/**
 * Form pieces the chart's forms share: a labelled field, a picker over a list the server ships
 * (an input with its datalist: type to filter, arrows to choose, or write what the list lacks).
 */
export function Field(p: {
  id: string; label: string; value: string; set: (v: string) => void; required?: boolean; hint?: string;
  inputMode?: 'decimal' | 'numeric' | 'text'; type?: string; size?: number; max?: string; autoFocus?: boolean;
  maxLength?: number;
  /** An example or the default, never the label. */
  placeholder?: string;
}) {
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      <input
        id={p.id} type={p.type ?? 'text'} required={p.required} inputMode={p.inputMode} size={p.size} max={p.max}
        maxLength={p.maxLength}
        value={p.value} onInput={(e) => p.set(e.currentTarget.value)} autoFocus={p.autoFocus}
        placeholder={p.placeholder}
        aria-describedby={p.hint ? `${p.id}-hint` : undefined}
      />
      {p.hint && <small id={`${p.id}-hint`} class="muted">{p.hint}</small>}
    </div>
  );
}

/**
 * `options` makes the picker's own list; `list` names a datalist several pickers share (the lines
 * of a prescription).
 */
export function Picker(p: {
  id: string; label: string; value: string; set: (v: string) => void; options?: readonly string[]; list?: string;
  required?: boolean; hint?: string;
}) {
  return (
    <div class="field wide">
      <label for={p.id}>{p.label}</label>
      <input
        id={p.id} list={p.list ?? `${p.id}-list`} required={p.required} autocomplete="off" value={p.value}
        onInput={(e) => p.set(e.currentTarget.value)} aria-describedby={p.hint ? `${p.id}-hint` : undefined}
      />
      {p.options && (
        <datalist id={`${p.id}-list`}>
          {p.options.map((o) => <option key={o} value={o} />)}
        </datalist>
      )}
      {p.hint && <small id={`${p.id}-hint`} class="muted">{p.hint}</small>}
    </div>
  );
}

export function Select<V extends string>(p: {
  id: string; label: string; value: V; set: (v: V) => void; options: readonly (readonly [V, string])[];
  required?: boolean;
}) {
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      <select id={p.id} required={p.required} value={p.value} onChange={(e) => p.set(e.currentTarget.value as V)}>
        {p.options.map(([v, words]) => <option key={v} value={v}>{words}</option>)}
      </select>
    </div>
  );
}

/** A section of the summary: its title, what it lists, and its add form folded under a button. */
export function Section(p: {
  id: string; title: string; children: ComponentChildren; add?: { label: string; form: ComponentChildren };
}) {
  return (
    <section class="chart-section" aria-labelledby={p.id} data-testid={p.id}>
      <h3 id={p.id}>{p.title}</h3>
      {p.children}
      {p.add && (
        <details class="add">
          <summary>{p.add.label}</summary>
          {p.add.form}
        </details>
      )}
    </section>
  );
}

/** A button that changes one resource (resolves a problem, stops a treatment), named for what it changes. */
export function Act({ label, what, act, done }: {
  label: string; what: string; act: () => Promise<unknown>; done: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await act();
      done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="small" disabled={busy} onClick={click} aria-label={`${label} : ${what}`}>
        {label}
      </button>
      <Problem error={error} />
    </>
  );
}

/** A resource's sensitivity labels, shown as a note's are. */
export function Labels({ of }: { of: any }) {
  return <>{sensitivityOf(of).map((code) => <span key={code} class="label" title={code}>{labelName(code)}</span>)}</>;
}
