// The app's frame: the token (auth.tsx), the GraphQL client made with it (client.ts), the layout
// and the route table (routes.tsx). Without a token every path shows the login page.
import { Suspense, useMemo } from "react";
import { Provider } from "urql";
import { Route, Switch } from "wouter";
import { AuthProvider, useAuth } from "./auth";
import { makeClient } from "./client";
import { Layout } from "./components/Layout";
import { LoginPage } from "./pages/Login";
import { routes } from "./routes";

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}

function Shell() {
  const { token } = useAuth();
  const client = useMemo(() => (token ? makeClient(token) : null), [token]);
  if (!client) return <LoginPage />;
  return (
    <Provider value={client}>
      <Layout>
        <Suspense fallback={<div className="page muted">Loading…</div>}>
        <Switch>
          {routes.map((route) => (
            <Route key={route.path} path={route.path} component={route.component} />
          ))}
          <Route>
            <div className="page">
              <h1>Not found</h1>
              <p className="muted">No page at this address.</p>
            </div>
          </Route>
        </Switch>
        </Suspense>
      </Layout>
    </Provider>
  );
}
