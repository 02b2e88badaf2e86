/**
 * DPoP (RFC 9449): a session opened with a proof is bound to that key's thumbprint; its access
 * tokens carry it (`cnf.jkt`) and its refresh needs a proof from the same key.
 */
export const sql = `
ALTER TABLE admin.sessions ADD COLUMN dpop_jkt text;
`;
