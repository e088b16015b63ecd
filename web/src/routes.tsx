// The route table: every page of the UI and the path it answers. A new page is a component in
// pages/ plus one line here (and, for a page of a project, one entry in `projectNav`). The
// server answers index.html for `/`, `/login` and everything under `/orgs/` (history API
// fallback, stackline/webui/__init__.py), so new paths belong under `/orgs/`.
import { lazy, type ComponentType } from "react";
import { paths } from "./paths";
import { IssueListPage } from "./pages/IssueList";
import { PickerPage } from "./pages/Picker";

// The pages people land on come with the first script; the others are chunks of their own,
// fetched when first shown (App.tsx wraps the routes in Suspense), so the issue list paints
// without parsing them.
const IssueDetailPage = lazy(() => import("./pages/IssueDetail").then((m) => ({ default: m.IssueDetailPage })));
const ProjectOverviewPage = lazy(() =>
  import("./pages/ProjectOverview").then((m) => ({ default: m.ProjectOverviewPage })),
);
const ProjectSettingsPage = lazy(() =>
  import("./pages/ProjectSettings").then((m) => ({ default: m.ProjectSettingsPage })),
);
const LogsPage = lazy(() => import("./pages/Logs").then((m) => ({ default: m.LogsPage })));
const AlertRulesPage = lazy(() => import("./pages/AlertRules").then((m) => ({ default: m.AlertRulesPage })));

export interface RouteDef {
  path: string;
  component: ComponentType;
}

export const routes: RouteDef[] = [
  { path: "/", component: PickerPage },
  { path: "/orgs/:org/projects/:project", component: ProjectOverviewPage },
  { path: "/orgs/:org/projects/:project/alerts", component: AlertRulesPage },
  { path: "/orgs/:org/projects/:project/settings", component: ProjectSettingsPage },
  { path: "/orgs/:org/projects/:project/logs", component: LogsPage },
  { path: "/orgs/:org/projects/:project/issues", component: IssueListPage },
  { path: "/orgs/:org/projects/:project/issues/:issueId", component: IssueDetailPage },
  { path: "/orgs/:org/projects/:project/issues/:issueId/events/:eventId", component: IssueDetailPage },
];

/** The tabs of a project's pages, in the header; `exact`: active on that path only (not below it). */
export const projectNav: { label: string; to: (org: string, project: string) => string; exact?: boolean }[] = [
  { label: "Overview", to: paths.project, exact: true },
  { label: "Issues", to: paths.issues },
  { label: "Logs", to: paths.logs },
  { label: "Alerts", to: paths.alerts },
  { label: "Settings", to: paths.settings },
];
