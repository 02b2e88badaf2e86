/**
 * Containment. Appointments remember who booked them and when: an appointment that the
 * reading account booked itself is not, on its own, a care relationship (a thief would book one
 * for every patient he wants). Seeded and imported appointments have no booker: they were made
 * by the practice, not by the account that reads.
 */
export const sql = `
ALTER TABLE admin.appointments ADD COLUMN booked_by uuid;
ALTER TABLE admin.appointments ADD COLUMN booked_at timestamptz;
`;
