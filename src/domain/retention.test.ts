import { describe, expect, it } from 'vitest';
import { retentionEnds, retentionRunning } from './retention.js';

describe('retention (R1112-7)', () => {
  it('keeps 20 years after the last visit', () => {
    expect(retentionEnds({ birthDate: '1950-05-01', lastVisit: '2010-03-15', createdOn: '2000-01-01', deceasedDate: null })).toBe('2030-03-15');
  });
  it('keeps a minor\'s record until the 28th birthday when that is later', () => {
    expect(retentionEnds({ birthDate: '2005-06-30', lastVisit: '2006-01-10', createdOn: '2005-07-01', deceasedDate: null })).toBe('2033-06-30');
  });
  it('keeps 10 years after a death that came within 10 years of the last visit', () => {
    expect(retentionEnds({ birthDate: '1940-01-01', lastVisit: '2020-01-01', createdOn: '2000-01-01', deceasedDate: '2021-06-01' })).toBe('2031-06-01');
    // A death long after the last visit changes nothing.
    expect(retentionEnds({ birthDate: '1940-01-01', lastVisit: '2000-01-01', createdOn: '1999-01-01', deceasedDate: '2015-06-01' })).toBe('2020-01-01');
  });
  it('counts from the record\'s creation when no visit is recorded, and handles 29 February', () => {
    expect(retentionEnds({ birthDate: '1970-01-01', lastVisit: null, createdOn: '2004-02-29', deceasedDate: null })).toBe('2024-02-29');
    // Ten years after 29 February 2012 is 28 February 2022, not 1 March.
    expect(retentionEnds({ birthDate: '1930-01-01', lastVisit: '2011-01-01', createdOn: '2000-01-01', deceasedDate: '2012-02-29' })).toBe('2022-02-28');
    expect(retentionRunning({ birthDate: '1970-01-01', lastVisit: '2004-02-29', createdOn: '2004-02-29', deceasedDate: null }, '2024-02-28')).toBe(true);
    expect(retentionRunning({ birthDate: '1970-01-01', lastVisit: '2004-02-29', createdOn: '2004-02-29', deceasedDate: null }, '2024-02-29')).toBe(false);
  });
});
