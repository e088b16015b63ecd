// The one GraphQL client: queries and mutations over HTTP POST to /graphql, subscriptions over a
// `graphql-transport-ws` websocket at /graphql. The UI talks to nothing else on the server.
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient } from "graphql-ws";

export function graphqlUrl(): string {
  return new URL("/graphql", window.location.href).toString();
}

export function websocketUrl(): string {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function makeClient(token: string): Client {
  const authorization = `Bearer ${token}`;
  const ws = createWsClient({
    url: websocketUrl(),
    connectionParams: { Authorization: authorization },
    lazy: true,
    // Reconnect through server restarts; subscriptions resume when the socket is back.
    retryAttempts: Infinity,
    shouldRetry: () => true,
  });
  return new Client({
    url: graphqlUrl(),
    fetchOptions: { headers: { Authorization: authorization } },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
