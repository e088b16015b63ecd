// A project's SDK logs (`enable_logs`), newest first: the server's logs search (free text in
// the body, `level:`, `trace:`, `<attribute>:<value>`), each record's attributes on demand, and
// further pages by cursor ("Load older"), each page a query of its own.
import { useState, type FormEvent } from "react";
import { useQuery } from "urql";
import { useParams } from "wouter";
import { LevelBadge } from "../components/Badges";
import { ErrorBox } from "../components/ErrorBox";
import { graphql } from "../gql";
import { absolute } from "../lib/time";
import "../settings.css";

const LogsDocument = graphql(`
  query ProjectLogs($org: String!, $project: String!, $query: String, $after: String) {
    project(organizationSlug: $org, slug: $project) {
      id
      logs(query: $query, first: 50, after: $after) {
        edges {
          cursor
          node {
            logId
            timestamp
            level
            body
            attributes
            traceId
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

// Sentry's log levels, shown in the issue levels' colours.
const LEVEL_COLOUR: Record<string, string> = { warn: "warning", trace: "debug" };

export function LogsPage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setQuery(draft.trim());
    setCursors([null]);
  }

  return (
    <div className="page wide">
      <div className="page-header">
        <h1>
          Logs <span className="muted">· newest first</span>
        </h1>
      </div>
      <form className="logs-search" onSubmit={submit}>
        <input
          aria-label="Search logs"
          placeholder='level:error checkout  trace:<id>  attribute:value  "a phrase"'
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <section className="card">
        <table className="table logs-table" data-testid="logs">
          <tbody>
            {cursors.map((after, index) => (
              <LogPage
                key={`${query}|${after}`}
                org={org}
                project={project}
                query={query}
                after={after}
                last={index === cursors.length - 1}
                onMore={(cursor) => setCursors([...cursors, cursor])}
              />
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function LogPage({
  org,
  project,
  query,
  after,
  last,
  onMore,
}: {
  org: string;
  project: string;
  query: string;
  after: string | null;
  last: boolean;
  onMore: (cursor: string) => void;
}) {
  const [result] = useQuery({
    query: LogsDocument,
    variables: { org, project, query: query || null, after },
    requestPolicy: "cache-and-network",
  });
  const [open, setOpen] = useState<string | null>(null);
  if (result.error) {
    return (
      <tr>
        <td colSpan={4}>
          <ErrorBox error={result.error} />
        </td>
      </tr>
    );
  }
  const logs = result.data?.project?.logs;
  if (!logs) {
    return (
      <tr>
        <td colSpan={4} className="muted">
          {result.fetching ? "Loading…" : "project not found"}
        </td>
      </tr>
    );
  }
  return (
    <>
      {after === null && logs.edges.length === 0 && (
        <tr>
          <td colSpan={4} className="muted pad">
            No logs{query ? " match this search" : " yet: send some with the SDK's enable_logs"}.
          </td>
        </tr>
      )}
      {logs.edges.map(({ node }) => (
        <LogRow key={node.logId} node={node} open={open === node.logId} toggle={() => setOpen(open === node.logId ? null : node.logId)} />
      ))}
      {last && logs.pageInfo.hasNextPage && logs.pageInfo.endCursor && (
        <tr>
          <td colSpan={4}>
            <button type="button" onClick={() => onMore(logs.pageInfo.endCursor!)}>
              Load older
            </button>
          </td>
        </tr>
      )}
    </>
  );
}

interface LogNode {
  logId: string;
  timestamp: string;
  level: string;
  body: string;
  attributes: unknown; // JSON: name -> {value, type}
  traceId?: string | null;
}

function LogRow({ node, open, toggle }: { node: LogNode; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr className="log-row" onClick={toggle}>
        <td className="small muted nowrap" title={node.timestamp}>
          {absolute(node.timestamp)}
        </td>
        <td>
          <LevelBadge level={LEVEL_COLOUR[node.level] ?? node.level} />
        </td>
        <td className="log-body">{node.body}</td>
        <td className="mono small muted">{node.traceId ? node.traceId.slice(0, 8) : ""}</td>
      </tr>
      {open && (
        <tr className="log-attributes">
          <td colSpan={4}>
            <dl>
              {node.traceId && (
                <>
                  <dt>trace</dt>
                  <dd className="mono">{node.traceId}</dd>
                </>
              )}
              {Object.entries((node.attributes ?? {}) as Record<string, { value: unknown }>).map(([name, attribute]) => (
                <div key={name} className="log-attribute">
                  <dt className="mono">{name}</dt>
                  <dd className="mono">{JSON.stringify(attribute.value)}</dd>
                </div>
              ))}
            </dl>
          </td>
        </tr>
      )}
    </>
  );
}
