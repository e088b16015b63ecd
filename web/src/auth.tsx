// The API token the UI acts with: pasted on the login page, kept in the browser's localStorage,
// sent as `Authorization: Bearer` on every request (and in the websocket's connection_init).
// It is never put in a URL (URLs end up in logs and history).
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

const STORAGE_KEY = "stackline.token";

export function storedToken(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled (private mode): the user logs in per tab
  }
}

interface Auth {
  token: string | null;
  login(token: string): void;
  logout(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(storedToken);
  const login = useCallback((value: string) => {
    const trimmed = value.trim();
    try {
      window.localStorage.setItem(STORAGE_KEY, trimmed);
    } catch {
      // kept in memory only
    }
    setToken(trimmed);
  }, []);
  const logout = useCallback(() => {
    try {
      window.localStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    setToken(null);
  }, []);
  const value = useMemo(() => ({ token, login, logout }), [token, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
