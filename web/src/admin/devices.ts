import { UAParser } from 'ua-parser-js';
import { T } from '../i18n.js';

/**
 * A client's readable name from the User-Agent it sent ("Firefox 128 sur Windows"): what a person
 * recognises as their browser, instead of the raw string. A program (curl, a FHIR client) keeps its
 * product token; an empty agent is said to be unnamed.
 */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return T('Appareil sans nom', 'Unnamed device');
  const r = UAParser(userAgent);
  const browser = r.browser.name ? [r.browser.name, r.browser.major].filter(Boolean).join(' ') : null;
  const os = r.os.name ?? null;
  if (browser && os) return T(`${browser} sur ${os}`, `${browser} on ${os}`);
  if (browser) return browser;
  const program = /^([A-Za-z][\w.-]{0,40})\/(\d[\w.]{0,15})/.exec(userAgent);
  if (program) return T(`Logiciel ${program[1]} ${program[2]}`, `Program ${program[1]} ${program[2]}`);
  if (os) return T(`Appareil ${os}`, `${os} device`);
  return T('Appareil inconnu', 'Unknown device');
}
