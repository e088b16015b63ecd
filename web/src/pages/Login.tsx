// Login: paste an API token (from `stackline bootstrap` or `stackline token`); it is checked
// with a `viewer` query before it is kept.
import { useState, type FormEvent } from "react";
import { useAuth } from "../auth";
import { graphqlUrl } from "../client";

export function LoginPage() {
  const { login } = useAuth();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(graphqlUrl(), {
        method: "POST",
        headers: { "content-type": "application/json", Authorization: `Bearer ${token.trim()}` },
        body: JSON.stringify({ query: "{ viewer { tokenId } }" }),
      });
      const body = (await response.json()) as { errors?: { message: string }[] };
      if (body.errors?.length) setError(body.errors[0].message);
      else login(token);
    } catch (e) {
      setError(`could not reach the server: ${String(e)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login">
      <form className="login-card" onSubmit={submit}>
        <div className="brand brand-large">
          <Logo /> stackline
        </div>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          placeholder="paste the token from `stackline bootstrap`"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy || !token.trim()}>
          {busy ? "Checking…" : "Log in"}
        </button>
        <p className="muted small">
          The token is kept in this browser&apos;s local storage. Get one with{" "}
          <code>stackline bootstrap --org ORG --project PROJECT</code>.
        </p>
      </form>
    </div>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
      <path d="M1 12 L5 6 L8 9 L12 3 L15 7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
    </svg>
  );
}
