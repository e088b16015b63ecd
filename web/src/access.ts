// The viewer's access in one organization (lib/permissions.ts), for pages that disable what the
// viewer may not do: the token's own scopes and the user's role there, read once per page.
import { useQuery } from "urql";
import { graphql } from "./gql";
import { accessIn, type Access } from "./lib/permissions";

const AccessDocument = graphql(`
  query Access($org: String!) {
    viewer {
      tokenId
      kind
      email
      scopes
    }
    organization(slug: $org) {
      id
      viewerRole
    }
  }
`);

export function useAccess(org: string): { access: Access | null; tokenId: string; email: string | null; personal: boolean } {
  const [{ data }] = useQuery({ query: AccessDocument, variables: { org } });
  const viewer = data?.viewer;
  if (!viewer || !data?.organization) return { access: null, tokenId: viewer?.tokenId ?? "", email: viewer?.email ?? null, personal: viewer?.kind === "PERSONAL" };
  return {
    access: accessIn(viewer.kind, viewer.scopes, data.organization.viewerRole),
    tokenId: viewer.tokenId,
    email: viewer.email ?? null,
    personal: viewer.kind === "PERSONAL",
  };
}
