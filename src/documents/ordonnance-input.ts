/** What a prescription is made of, as the caller gives it and as the page prints it. */

export interface OrdonnanceInput {
  practice: {
    name: string;
    addressLines: string[];
    postalCode: string;
    city: string;
    phone: string | null;
    finess: string | null;
  };
  prescriber: {
    title: string; // 'Dr'
    givenName: string;
    familyName: string;
    specialty: string; // 'Médecine générale'
    rpps: string | null;
    amNumber?: string | null;
  };
  patient: {
    givenName: string;
    familyName: string;
    birthDate: string; // YYYY-MM-DD
    sex: 'male' | 'female' | 'other' | 'unknown';
    weightKg?: number | null;
  };
  /** The prescription date. */
  date: Date;
  lines: OrdonnanceLine[];
  /** Printed "À renouveler N fois". */
  renewals?: number | null;
  /** Prints the mention of a treatment for a long-term condition (affection de longue durée). */
  ald?: boolean;
  /** An opaque reference printed small at the bottom of each page (the server's document id). */
  reference: string;
}

export interface OrdonnanceLine {
  drug: string;
  dosage: string;
  duration?: string | null;
  quantity?: string | null;
  substitutable: boolean;
  note?: string | null;
}

/** A prescription checked and spelled for the page: every string is drawable by the standard fonts. */
export interface OrdonnanceText {
  readonly prescriber: { readonly name: string; readonly details: readonly string[] };
  readonly practice: { readonly name: string; readonly details: readonly string[] };
  /** "7 décembre 2026". */
  readonly date: string;
  readonly patient: { readonly name: string; readonly born: string; readonly weight: string | null };
  readonly lines: readonly PrintedLine[];
  readonly renewals: number;
  readonly ald: boolean;
  readonly reference: string;
}

export interface PrintedLine {
  readonly drug: string;
  readonly dosage: string;
  /** "Durée : 7 jours — Quantité : 1 boîte", or null when neither is given. */
  readonly supply: string | null;
  readonly note: string | null;
  readonly substitutable: boolean;
}
