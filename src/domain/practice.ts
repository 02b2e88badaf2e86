import type { Id } from './ids.js';

/** A medical practice (cabinet): the tenant. Every row of practice data carries its id. */
export interface Practice {
  readonly id: Id;
  readonly name: string;
  /** FINESS number of the establishment (9 characters), when it has one. */
  readonly finess: string | null;
  readonly city: string;
  readonly postalCode: string;
  readonly phone: string | null;
}
