// The frame around every page: the header with the organization / project switcher, the
// project's tabs (routes.tsx, projectNav) and the token's identity; the viewer's organizations
// are loaded once here and shared with the pages (useViewer).
import type { ReactNode } from "react";
import { useQuery } from "urql";
import { Link, useLocation, useRoute } from "wouter";
import { useAuth } from "../auth";
import { Logo } from "../pages/Login";
import { paths } from "../paths";
import { projectNav } from "../routes";
import { ViewerContext, ViewerDocument } from "../viewer";
import { ErrorBox } from "./ErrorBox";

export function Layout({ children }: { children: ReactNode }) {
  const { logout } = useAuth();
  const [{ data, error }] = useQuery({ query: ViewerDocument });
  const [inProject, params] = useRoute<{ org: string; project: string }>("/orgs/:org/projects/:project/*?");
  const [location, navigate] = useLocation();
  const viewer = data?.viewer ?? null;
  const authFailed = error?.graphQLErrors.some((e) => /authentication required/i.test(e.message));

  const current = inProject && params ? `${params.org}/${params.project}` : "";
  return (
    <ViewerContext.Provider value={viewer}>
      <header className="topbar">
        <Link href={paths.home()} className="brand">
          <Logo /> stackline
        </Link>
        {viewer && (
          <select
            className="switcher"
            aria-label="Organization and project"
            value={current}
            onChange={(e) => {
              const [org, project] = e.target.value.split("/");
              if (org && project) navigate(paths.issues(decodeURIComponent(org), decodeURIComponent(project)));
            }}
          >
            <option value="">Choose a project…</option>
            {viewer.organizations.map((org) => (
              <optgroup key={org.id} label={org.name || org.slug}>
                {org.projects.map((project) => (
                  <option key={project.id} value={`${org.slug}/${project.slug}`}>
                    {org.slug} / {project.slug}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        )}
        {inProject && params && (
          <nav className="tabs">
            {projectNav.map((tab) => {
              const to = tab.to(decodeURIComponent(params.org), decodeURIComponent(params.project));
              return (
                <Link key={tab.label} href={to} className={(tab.exact ? location === to : location.startsWith(to)) ? "tab active" : "tab"}>
                  {tab.label}
                </Link>
              );
            })}
          </nav>
        )}
        <div className="spacer" />
        {viewer && (
          <span className="muted small" title={`token ${viewer.tokenId}`}>
            {viewer.email ?? `organization token ${viewer.tokenId.slice(0, 8)}`}
          </span>
        )}
        <button className="btn btn-small" onClick={logout}>
          Log out
        </button>
      </header>
      <main>
        {authFailed ? (
          <div className="page">
            <ErrorBox error={error} />
            <button className="btn btn-primary" onClick={logout}>
              Log in with another token
            </button>
          </div>
        ) : (
          <>
            {/* Pages load their own data at once, alongside the viewer (no request waterfall). */}
            {error && !viewer && (
              <div className="page">
                <ErrorBox error={error} />
              </div>
            )}
            {children}
          </>
        )}
      </main>
    </ViewerContext.Provider>
  );
}
