import { normaliseNir } from '../domain/index.js';

/**
 * Blind indexes: HMAC-SHA-256 under the practice's index key (held by the key provider) of
 * "medvault-bidx/v1" | column | normalised value, truncated to 8 bytes. They reveal equality
 * within a practice and nothing else; see docs/encryption.md for the trade-off.
 */
export type BlindIndexColumn = 'nir' | 'email' | 'phone';
export const BLIND_INDEX_BYTES = 8;

export function normaliseForIndex(column: BlindIndexColumn, value: string): string | null {
  switch (column) {
    case 'nir': {
      const n = normaliseNir(value);
      return n.length === 0 ? null : n;
    }
    case 'email': {
      const e = value.trim().toLowerCase();
      return e.length === 0 ? null : e;
    }
    case 'phone': {
      // French numbers: +33 6 12 34 56 78, 0033612345678 and 06.12.34.56.78 are one number.
      let d = value.replace(/[^0-9+]/g, '');
      if (d.startsWith('+33')) d = '0' + d.slice(3);
      else if (d.startsWith('0033')) d = '0' + d.slice(4);
      d = d.replace(/\+/g, '');
      return d.length < 6 ? null : d;
    }
  }
}

export function blindIndexInput(column: BlindIndexColumn, value: string): Buffer | null {
  const n = normaliseForIndex(column, value);
  return n === null ? null : Buffer.from(`medvault-bidx/v1|${column}|${n}`, 'utf8');
}
