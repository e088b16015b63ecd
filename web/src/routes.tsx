// The route table: every page of the UI and the path it answers. A new page is a component in
// pages/ plus one line here (and, for a page of a project, one entry in `projectNav`). The
// server answers index.html for `/`, `/login` and everything under `/orgs/` (history API
// fallback, stackline/webui/__init__.py), so new paths belong under `/orgs/`.
import type { ComponentType } from "react";
import { paths } from "./paths";
import { AlertRulesPage } from "./pages/AlertRules";
import { IssueDetailPage } from "./pages/IssueDetail";
import { IssueListPage } from "./pages/IssueList";
import { PickerPage } from "./pages/Picker";
import { ProjectOverviewPage } from "./pages/ProjectOverview";
import { ProjectSettingsPage } from "./pages/ProjectSettings";

export interface RouteDef {
  path: string;
  component: ComponentType;
}

export const routes: RouteDef[] = [
  { path: "/", component: PickerPage },
  { path: "/orgs/:org/projects/:project", component: ProjectOverviewPage },
  { path: "/orgs/:org/projects/:project/alerts", component: AlertRulesPage },
  { path: "/orgs/:org/projects/:project/settings", component: ProjectSettingsPage },
  { path: "/orgs/:org/projects/:project/issues", component: IssueListPage },
  { path: "/orgs/:org/projects/:project/issues/:issueId", component: IssueDetailPage },
  { path: "/orgs/:org/projects/:project/issues/:issueId/events/:eventId", component: IssueDetailPage },
];

/** The tabs of a project's pages, in the header; `exact`: active on that path only (not below it). */
export const projectNav: { label: string; to: (org: string, project: string) => string; exact?: boolean }[] = [
  { label: "Overview", to: paths.project, exact: true },
  { label: "Issues", to: paths.issues },
  { label: "Alerts", to: paths.alerts },
  { label: "Settings", to: paths.settings },
];
