import { CatalogError } from '../errors.js';

/** Errors of the documents a practice prints (prescriptions), mapped at the HTTP edge like the others. */
export const DOCUMENT_ERRORS = {
  invalid: { status: 400, message: 'Ordonnance non valide :' },
} as const;

export type DocumentErrorCode = keyof typeof DOCUMENT_ERRORS;

export class DocumentError extends CatalogError<DocumentErrorCode> {
  override readonly name = 'DocumentError';
  constructor(
    code: DocumentErrorCode,
    /** The rule broken, in French, naming a field or a line number but never a value from the input. */
    readonly detail: string,
  ) {
    super(code, DOCUMENT_ERRORS);
    // The detail carries no patient data, so the whole sentence can be the message the
    // prescriber reads: "Ordonnance non valide : ligne 2, le nom du médicament est vide."
    this.message = `${this.message} ${detail}`;
  }
}
