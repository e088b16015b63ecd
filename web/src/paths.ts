// Where each page lives: the one place that builds the UI's URLs (the route table is routes.tsx).

export const paths = {
  home: () => "/",
  project: (org: string, project: string) => `/orgs/${enc(org)}/projects/${enc(project)}`,
  settings: (org: string, project: string) => `/orgs/${enc(org)}/projects/${enc(project)}/settings`,
  alerts: (org: string, project: string) => `/orgs/${enc(org)}/projects/${enc(project)}/alerts`,
  logs: (org: string, project: string) => `/orgs/${enc(org)}/projects/${enc(project)}/logs`,
  issues: (org: string, project: string) => `/orgs/${enc(org)}/projects/${enc(project)}/issues`,
  issue: (org: string, project: string, issueId: string) =>
    `/orgs/${enc(org)}/projects/${enc(project)}/issues/${enc(issueId)}`,
  event: (org: string, project: string, issueId: string, eventId: string) =>
    `/orgs/${enc(org)}/projects/${enc(project)}/issues/${enc(issueId)}/events/${enc(eventId)}`,
};

function enc(part: string): string {
  return encodeURIComponent(part);
}
