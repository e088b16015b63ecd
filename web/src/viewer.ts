// Who the token is and what it may see: loaded once by the layout, read by any page.
import { createContext, useContext } from "react";
import { graphql } from "./gql";
import type { ViewerQuery } from "./gql/graphql";

export const ViewerDocument = graphql(`
  query Viewer {
    viewer {
      tokenId
      kind
      email
      organizations {
        id
        slug
        name
        projects {
          id
          slug
          name
          platform
        }
      }
    }
  }
`);

export type Viewer = ViewerQuery["viewer"];
export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer | null {
  return useContext(ViewerContext);
}

