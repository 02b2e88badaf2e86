/**
 * SMART on FHIR scopes (v1 and v2 forms): `user/Patient.read`, `user/*.write`,
 * `patient/*.read`, `user/DocumentReference.rs`… A scope only narrows what a role allows.
 */
export type ScopeAccess = 'read' | 'write';

const SCOPE = /^(user|patient|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|[cruds]+)$/;

function grants(perm: string, access: ScopeAccess): boolean {
  if (perm === '*') return true;
  if (perm === 'read' || perm === 'write') return perm === access;
  // v2: c create, r read, u update, d delete, s search
  return access === 'read' ? perm.includes('r') || perm.includes('s') : perm.includes('c') || perm.includes('u');
}

/** Whether the scopes let a `user` or `patient` context `access` a resource type. */
export function scopesAllow(scopes: readonly string[], context: 'user' | 'patient', resourceType: string, access: ScopeAccess): boolean {
  return scopes.some((s) => {
    const m = SCOPE.exec(s);
    if (!m) return false;
    const [, ctx, type, perm] = m as unknown as [string, string, string, string];
    return ctx === context && (type === '*' || type === resourceType) && grants(perm, access);
  });
}

export function isWellFormedScope(s: string): boolean {
  return s === 'openid' || s === 'offline_access' || SCOPE.test(s);
}

/** What a fresh login gets when it asks for nothing narrower: everything its role may do. */
export function defaultScopes(role: string): string[] {
  return role === 'patient' ? ['patient/*.read'] : ['user/*.read', 'user/*.write'];
}
