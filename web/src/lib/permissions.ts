// What the viewer may do in one organization, so pages disable the controls it may not use (the
// server still decides: a refused change comes back as its error and is shown). Mirrors the
// server's rule (stackline/domain/organization.py, ROLE_SCOPES): an organization token acts with
// its own scopes and holds ownership; a personal token with its scopes narrowed by the user's role.

export const ALL_SCOPES = ["org:read", "org:write", "project:read", "project:write", "event:read", "event:write"] as const;
export type Scope = (typeof ALL_SCOPES)[number];

const MEMBER_SCOPES: readonly Scope[] = ["org:read", "project:read", "event:read", "event:write"];

export const ROLE_SCOPES: Record<string, readonly Scope[]> = {
  member: MEMBER_SCOPES,
  admin: [...MEMBER_SCOPES, "project:write", "org:write"],
  owner: ALL_SCOPES,
};

export const ROLES = ["owner", "admin", "member"] as const;

export interface Access {
  scopes: ReadonlySet<string>;
  /** Owners (and organization tokens) make, demote and remove owners and see organization tokens. */
  owner: boolean;
  /** The user's role, null for an organization token. */
  role: string | null;
}

export function accessIn(kind: "ORGANIZATION" | "PERSONAL", tokenScopes: readonly string[], role: string | null | undefined): Access {
  if (kind === "ORGANIZATION") return { scopes: new Set(tokenScopes), owner: true, role: null };
  const allowed = new Set<string>(role ? (ROLE_SCOPES[role] ?? []) : []);
  return { scopes: new Set(tokenScopes.filter((s) => allowed.has(s))), owner: role === "owner", role: role ?? null };
}

export function can(access: Access | null, scope: Scope): boolean {
  return !!access && access.scopes.has(scope);
}

export function capitalized(text: string | undefined): string {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** Why a control is disabled, for its title: the scope the viewer lacks. */
export function lacking(access: Access | null, scope: Scope): string | undefined {
  if (can(access, scope)) return undefined;
  return access?.role ? `your role (${access.role}) lacks ${scope}` : `this token lacks ${scope}`;
}
