// A project's settings: its DSN and keys with rate limits, data scrubbing, quota, webhooks, and
// the organization's members, API tokens, retention and erasure. Controls the viewer's role does
// not allow are disabled (their title says why); whatever the server refuses is shown as it answered.
import { useQuery } from "urql";
import { useParams } from "wouter";
import { useAccess } from "../access";
import { ErrorBox } from "../components/ErrorBox";
import { ClientKeys } from "../components/settings/ClientKeys";
import { QuotaSettings, ScrubbingSettings } from "../components/settings/DataSettings";
import { Members } from "../components/settings/Members";
import { EraseUser, RetentionSettings } from "../components/settings/Organization";
import { Tokens } from "../components/settings/Tokens";
import { Webhooks } from "../components/settings/Webhooks";
import { graphql } from "../gql";
import { can, capitalized, lacking } from "../lib/permissions";
import "../settings.css";

const ProjectSettingsDocument = graphql(`
  query ProjectSettings($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      platform
      numericId
      dsn
      settings {
        scrubData
        scrubIpAddresses
        sensitiveFields
        safeFields
        allowedOrigins
        monthlyEventQuota
      }
      keys {
        publicKey
        dsn
        isActive
        rateLimitPerSecond
        rateLimitPerMinute
      }
    }
  }
`);

const SECTIONS = [
  { id: "keys", label: "Client keys" },
  { id: "scrubbing", label: "Data scrubbing" },
  { id: "quota", label: "Quota" },
  { id: "webhooks", label: "Webhooks" },
  { id: "members", label: "Members" },
  { id: "tokens", label: "API tokens" },
  { id: "retention", label: "Retention" },
  { id: "erasure", label: "Erase a person" },
];

export function ProjectSettingsPage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  const [{ data, error, fetching }] = useQuery({ query: ProjectSettingsDocument, variables: { org, project } });
  const { access, tokenId, email, personal } = useAccess(org);
  const found = data?.project;
  if (error && !found) return <div className="page"><ErrorBox error={error} /></div>;
  if (fetching && !found) return <div className="page muted">Loading…</div>;
  if (!found) return <div className="page"><ErrorBox userErrors={[{ message: "project not found" }]} /></div>;
  const writable = can(access, "project:write");
  const why = lacking(access, "project:write");
  return (
    <div className="page settings-page">
      <div className="page-header">
        <h1>
          Settings <span className="muted">· {found.name || found.slug}</span>
        </h1>
        <span className="muted small">project id {found.numericId}</span>
      </div>
      {access && !writable && (
        <div className="notice" role="note">
          {capitalized(why)}: the project's settings are read-only for you. Ask an admin or owner of {org} to change them.
        </div>
      )}
      <div className="settings-layout">
        <nav className="settings-nav" aria-label="Settings sections">
          {SECTIONS.map((s) => (
            <a key={s.id} href={`#${s.id}`}>
              {s.label}
            </a>
          ))}
        </nav>
        <div className="settings-main">
          <ClientKeys org={org} project={project} dsn={found.dsn} platform={found.platform} keys={found.keys} writable={writable} why={why} />
          <ScrubbingSettings org={org} project={project} settings={found.settings} writable={writable} why={why} />
          <QuotaSettings org={org} project={project} settings={found.settings} writable={writable} why={why} />
          <Webhooks org={org} project={project} projectId={found.id} writable={writable} why={why} />
          <Members org={org} access={access} viewerEmail={email} />
          <Tokens org={org} access={access} personal={personal} currentTokenId={tokenId} />
          <RetentionSettings org={org} access={access} />
          <EraseUser org={org} access={access} />
        </div>
      </div>
    </div>
  );
}
