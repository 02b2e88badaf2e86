import { describe, expect, it } from 'vitest';
import { composeNir } from './nir.js';
import { isCalendarDate, validatePatientIdentity } from './patient.js';
import { isValidRpps, luhnCheckDigit, requiresSecondFactor } from './user.js';

const identity = {
  birthFamilyName: 'Martin',
  givenNames: ['Louise', 'Marie'],
  birthDate: '1985-02-14',
  birthplaceInsee: '2A004',
  sex: 'female' as const,
  nir: composeNir({ sexDigit: 2, year: 85, month: 2, birthplace: '2A004', serial: 123 }),
  email: 'louise.martin@example.fr',
};

describe('patient identity', () => {
  it('accepts a consistent identity', () => {
    expect(validatePatientIdentity(identity, '2026-03-10')).toEqual([]);
  });

  it('names each problem', () => {
    expect(validatePatientIdentity({ ...identity, birthFamilyName: ' ' }, '2026-03-10')).toEqual(['birthFamilyName']);
    expect(validatePatientIdentity({ ...identity, givenNames: [] }, '2026-03-10')).toEqual(['givenNames']);
    expect(validatePatientIdentity({ ...identity, birthDate: '1985-02-30' }, '2026-03-10')).toContain('birthDate');
    expect(validatePatientIdentity({ ...identity, birthDate: '2027-01-01' }, '2026-03-10')).toContain('birthDate');
    expect(validatePatientIdentity({ ...identity, birthplaceInsee: '2C004', nir: null }, '2026-03-10')).toEqual(['birthplaceInsee']);
    expect(validatePatientIdentity({ ...identity, nir: '285022A00412399' }, '2026-03-10')).toEqual(['nir']);
    expect(validatePatientIdentity({ ...identity, sex: 'male' }, '2026-03-10')).toEqual(['nirIdentity']);
    expect(validatePatientIdentity({ ...identity, email: 'no-at-sign' }, '2026-03-10')).toEqual(['email']);
  });

  it('knows calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2023-13-01')).toBe(false);
    expect(isCalendarDate('20230101')).toBe(false);
  });
});

describe('accounts', () => {
  it('requires a second factor of professionals who reach records or accounts', () => {
    expect(requiresSecondFactor('practitioner')).toBe(true);
    expect(requiresSecondFactor('practice-admin')).toBe(true);
    expect(requiresSecondFactor('security-officer')).toBe(true);
    expect(requiresSecondFactor('assistant')).toBe(false);
    expect(requiresSecondFactor('patient')).toBe(false);
  });

  it('checks RPPS numbers with Luhn', () => {
    const body = '1000123456';
    const rpps = body + String(luhnCheckDigit(body));
    expect(isValidRpps(rpps)).toBe(true);
    expect(isValidRpps(body + String((luhnCheckDigit(body) + 1) % 10))).toBe(false);
    expect(isValidRpps('1234')).toBe(false);
    // Luhn's published example: 7992739871 has check digit 3.
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });
});
