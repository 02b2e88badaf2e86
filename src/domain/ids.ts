/**
 * Internal identifiers are random UUIDs: never sequential (they would reveal volumes and invite
 * enumeration) and never the NIR (a national identifier must not become a key or reach a URL).
 */
export type Id = string;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isId(value: string): value is Id {
  return UUID.test(value);
}
