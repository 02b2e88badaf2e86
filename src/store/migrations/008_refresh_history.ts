/**
 * Refresh-token reuse detection that a forger cannot trigger: a session keeps the
 * hashes of its earlier refresh tokens, so only a token that really was this session's — and was
 * already used — revokes it. A made-up `<session id>.<random>` is refused and changes nothing.
 */
export const sql = `
ALTER TABLE admin.sessions ADD COLUMN previous_refresh_hashes bytea[] NOT NULL DEFAULT '{}';
`;
