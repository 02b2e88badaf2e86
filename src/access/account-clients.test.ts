import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientApprovalStep } from './account-clients.js';

describe('clientApprovalStep: four eyes on a practice admin approving a client', () => {
  it('never approves a client of the approver\'s own account', () => {
    fc.assert(fc.property(fc.uuid(), fc.option(fc.uuid()), (me, asked) => {
      expect(clientApprovalStep(me, me, asked)).toBe('refuse');
    }));
  });

  it('the first admin asks; asking again is still one person; a different admin confirms', () => {
    fc.assert(fc.property(fc.uuid(), fc.uuid(), fc.uuid(), (a, b, owner) => {
      fc.pre(a !== b && a !== owner && b !== owner);
      expect(clientApprovalStep(a, owner, null)).toBe('ask');
      expect(clientApprovalStep(a, owner, a)).toBe('ask');
      expect(clientApprovalStep(b, owner, a)).toBe('confirm');
    }));
  });
});
