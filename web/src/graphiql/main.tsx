// GraphiQL at GET /graphql, built from the npm package into the Python package's bundle like the
// UI itself, so the page works offline and names no other host. Queries carry the Headers tab's
// headers (`{"Authorization": "Bearer <token>"}`); subscriptions send the same headers as the
// websocket's connection_init payload, which is where the server reads a websocket's token.
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { createGraphiQLFetcher, type Fetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { storedToken } from "../auth";

const url = new URL("/graphql", window.location.href).toString();
const subscriptionUrl = url.replace(/^http/, "ws");

const fetcher: Fetcher = (params, options) =>
  createGraphiQLFetcher({
    url,
    wsClient: createClient({ url: subscriptionUrl, connectionParams: options?.headers ?? {} }),
  })(params, options);

// The web UI's token, when this browser has logged in there; otherwise the line to complete.
const token = storedToken();
const defaultHeaders = JSON.stringify({ Authorization: `Bearer ${token ?? ""}` }, null, 2);

const EXAMPLE = `# stackline's GraphQL API. Put your API token (from \`stackline bootstrap\`) in the
# Headers tab below: {"Authorization": "Bearer <token>"}. Run with Ctrl-Enter.
{
  viewer {
    kind
    organizations {
      slug
    }
  }
}
`;

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultHeaders={defaultHeaders} defaultQuery={EXAMPLE} />
  </StrictMode>,
);
