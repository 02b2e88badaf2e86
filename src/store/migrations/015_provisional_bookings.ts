/**
 * Bookings by accounts on probation (accounts minted in a practice add nothing to what it
 * can lose). A practice admin who mints an assistant and a practitioner, both approved, had the
 * new assistant book any patients for the new doctor, whose reads were then "scheduled" care (an
 * outside attack: 75 identities and 100 notes). An appointment booked by an account within 14 days
 * of its approval, in a practice that already had an established clinical account, is
 * *provisional*: it makes care for readers past their own probation (an established doctor's day
 * booked by the new assistant), not for a reader on probation (src/store/care.ts). A brand-new
 * practice, whose staff are all new, books as usual. The database computes the flag at each write
 * from the booking itself; no client sets it. "Established" counts every account that ever was
 * (disabled ones too): disabling a practice's staff does not make it new; an account from before
 * approvals existed counts, one whose approval a second-factor reset cleared does not.
 */
export const sql = `
ALTER TABLE admin.appointments ADD COLUMN booked_provisional boolean NOT NULL DEFAULT false;

CREATE FUNCTION admin.booking_provisional() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.booked_by IS NOT DISTINCT FROM OLD.booked_by AND NEW.booked_at IS NOT DISTINCT FROM OLD.booked_at THEN
    NEW.booked_provisional := OLD.booked_provisional;
    RETURN NEW;
  END IF;
  NEW.booked_provisional := NEW.booked_by IS NOT NULL AND NEW.booked_at IS NOT NULL
    AND EXISTS (SELECT 1 FROM admin.users b WHERE b.id = NEW.booked_by AND b.role IN ('practitioner', 'assistant', 'practice-admin')
                   AND b.approved_at IS NOT NULL AND b.approved_at > NEW.booked_at - interval '14 days')
    AND EXISTS (SELECT 1 FROM admin.users e WHERE e.practice_id = NEW.practice_id AND e.role IN ('practitioner', 'assistant') AND e.status <> 'pending'
                   AND (e.approved_at <= NEW.booked_at - interval '14 days'
                        OR (e.approved_at IS NULL AND NOT EXISTS (SELECT 1 FROM admin.enrolments x WHERE x.user_id = e.id))));
  RETURN NEW;
END $$;
CREATE TRIGGER appointments_provisional BEFORE INSERT OR UPDATE ON admin.appointments
  FOR EACH ROW EXECUTE FUNCTION admin.booking_provisional();
`;
