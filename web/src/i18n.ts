/** French by default, English on request; the choice is kept in this browser. */
export type Lang = 'fr' | 'en';

let current: Lang = (localStorage.getItem('medvault.lang') as Lang | null) ?? 'fr';
const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  localStorage.setItem('medvault.lang', l);
  document.documentElement.lang = l;
  for (const f of listeners) f();
}

export function onLang(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** A text in both languages, chosen at render time. */
export function T(fr: string, en: string): string {
  return current === 'fr' ? fr : en;
}

export function fmtDateTime(iso: string): string {
  return new Date(iso).toLocaleString(current === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(current === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}

export function fmtDate(iso: string): string {
  return new Date(iso).toLocaleDateString(current === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium' });
}

export const LABELS: Record<string, [string, string]> = {
  HIV: ['VIH / SIDA', 'HIV/AIDS'],
  PSY: ['Psychiatrie', 'Psychiatry'],
  BH: ['Santé comportementale', 'Behavioural health'],
  ETH: ['Addiction', 'Substance abuse'],
  SUD: ['Trouble lié à une substance', 'Substance use disorder'],
  SEX: ['Sexualité, santé reproductive', 'Sexual and reproductive health'],
  STD: ['IST', 'Sexually transmitted disease'],
  SDV: ['Violences', 'Sexual or domestic violence'],
  GDIS: ['Maladie génétique', 'Genetic disease'],
};

export function labelName(code: string): string {
  const l = LABELS[code];
  return l ? T(l[0], l[1]) : code;
}
