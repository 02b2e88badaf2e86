import { isIPv4, isIPv6 } from 'node:net';
import { createHash } from 'node:crypto';

/**
 * Which client a session comes from (tokens bound to their client, and a thief's own
 * client is not the doctor's). A DPoP-bound session is its key (the web app's key pair is a
 * non-extractable WebCrypto key: it cannot be copied off the workstation). A bearer client is
 * its user agent's fingerprint and the network it logged in from (/24 for IPv4, /48 for IPv6):
 * a user agent can be copied, a network much less so.
 */
export interface ClientMeta {
  readonly ip: string;
  readonly userAgent: string | null;
  readonly dpopJkt?: string | null;
}

/** A client's fingerprint: 12 hex digits of its user agent's SHA-256 (a missing agent is the empty string's). */
export function clientFingerprint(userAgent: string | null | undefined): string {
  return createHash('sha256').update(userAgent ?? '').digest('hex').slice(0, 12);
}

/** The network an address belongs to, as a client is bound to it: a.b.c.0/24, or the first 48 bits of IPv6. */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(ip)) return 'unknown';
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/48`;
}

/** The client of a login: its key, and a label for the user (the user agent, which is no patient data). */
export function clientOf(meta: ClientMeta): { key: string; label: string | null } {
  if (meta.dpopJkt) return { key: `dpop:${meta.dpopJkt}`, label: meta.userAgent?.slice(0, 200) ?? null };
  return { key: `agent:${clientFingerprint(meta.userAgent)}@${networkOf(meta.ip)}`, label: meta.userAgent?.slice(0, 200) ?? null };
}
