import uPlot from 'uplot';
import { lang } from './i18n.js';

/**
 * A chart's time axis in the reader's language. uPlot writes dates the American way (month before
 * day, a 12-hour clock, English month names); in French: day before month, a 24-hour clock,
 * French names. In English, uPlot's own.
 */
const DAY = 86_400;

const FR_NAMES: uPlot.DateNames = {
  MMMM: [
    'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre',
    'décembre',
  ],
  MMM: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  WWWW: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
  WWW: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
};

/**
 * uPlot's axis stamps: the smallest step (seconds), its format, then the formats shown at a new
 * year, month, day, hour, minute and second, and 1 (appended to the step's format).
 */
const FR_STAMPS: uPlot.Axis.TimeValuesConfig = [
  [365 * DAY, '{YYYY}', null, null, null, null, null, null, 1],
  [28 * DAY, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [DAY, '{D}/{M}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}h', '\n{D}/{M}/{YY}', null, '\n{D}/{M}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{D}/{M}/{YY}', null, '\n{D}/{M}', null, null, null, 1],
];

export interface TimeWords {
  readonly options: Pick<uPlot.Options, 'fmtDate'> | Record<string, never>;
  readonly axis: Pick<uPlot.Axis, 'values'> | Record<string, never>;
  readonly legend: Pick<uPlot.Series, 'value'> | Record<string, never>;
}

export function timeWords(): TimeWords {
  if (lang() !== 'fr') return { options: {}, axis: {}, legend: {} };
  return {
    options: { fmtDate: (tpl: string) => uPlot.fmtDate(tpl, FR_NAMES) },
    axis: { values: FR_STAMPS },
    legend: { value: '{D}/{M}/{YYYY} {HH}:{mm}' },
  };
}
