// The one GraphQL client: queries and mutations over HTTP POST to /graphql, subscriptions over a
// `graphql-transport-ws` websocket at /graphql. The UI talks to nothing else on the server.
import { useSyncExternalStore } from "react";
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient } from "graphql-ws";

// Whether the subscription websocket is connected (acknowledged by the server), and how many
// times it has connected: pages refetch when it connects again, to cover what they missed.
let live = { connected: false, connections: 0 };
const listeners = new Set<() => void>();

function setLive(connected: boolean) {
  live = { connected, connections: live.connections + (connected ? 1 : 0) };
  listeners.forEach((listener) => listener());
}

export function useLiveConnection(): { connected: boolean; connections: number } {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => live,
  );
}

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
    on: {
      connected: () => setLive(true),
      closed: () => setLive(false),
    },
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
