/**
 * The shape every error catalogue of medvault shares: a stable code, the HTTP status it becomes
 * at the edge, and a message chosen for the client. Each capability keeps its own catalogue
 * (access, records); the edge maps any CatalogError the same way.
 */
export type Catalog<K extends string> = Readonly<Record<K, { readonly status: number; readonly message: string }>>;

export abstract class CatalogError<K extends string> extends Error {
  readonly status: number;
  protected constructor(
    readonly code: K,
    catalog: Catalog<K>,
  ) {
    super(catalog[code].message);
    this.status = catalog[code].status;
  }
}
