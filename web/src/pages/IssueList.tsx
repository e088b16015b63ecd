// Page 2: a project's issues. Search (docs/search.md syntax), sort, cursor pages, a 24 h
// sparkline per issue, selection with bulk triage, and live updates: `issueChanges` patches the
// rows it names at once and, on the first page, the page is fetched again (throttled) so new
// issues appear and the order and the search filter stay the server's.
import { useEffect, useMemo, useState } from "react";
import { useClient, useQuery } from "urql";
import { useLiveConnection } from "../client";
import { Link, useLocation, useParams, useSearch } from "wouter";
import { LevelBar, StatusBadge } from "../components/Badges";
import { Sparkline } from "../components/Charts";
import { ErrorBox, errorMessages } from "../components/ErrorBox";
import { useViewer } from "../viewer";
import { SearchBox } from "../components/SearchBox";
import { TriageActions } from "../components/Triage";
import { graphql } from "../gql";
import type { IssueListFieldsFragment, IssueSort } from "../gql/graphql";
import { compactNumber, timeAgo, absolute } from "../lib/time";
import { paths } from "../paths";
import { useThrottled } from "../lib/throttle";
import { useTitle } from "../lib/title";

graphql(`
  fragment IssueListFields on Issue {
    id
    shortId
    title
    culprit
    level
    status
    substatus
    timesSeen
    userCount
    firstSeen
    lastSeen
    lastRelease
    assignee
    version
  }
`);

const IssueListDocument = graphql(`
  query IssueList($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      issues(first: $first, after: $after, query: $query, sort: $sort) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            ...IssueListFields
          }
        }
      }
    }
  }
`);

// The sparklines come in a second request so the list paints without waiting for the
// analytics store (one stats query per issue).
const IssueListStatsDocument = graphql(`
  query IssueListStats($org: String!, $project: String!, $first: Int!, $after: String, $query: String, $sort: IssueSort) {
    project(organizationSlug: $org, slug: $project) {
      id
      issues(first: $first, after: $after, query: $query, sort: $sort) {
        edges {
          node {
            id
            stats(period: HOUR_24) {
              start
              count
            }
          }
        }
      }
    }
  }
`);

const IssueChangesDocument = graphql(`
  subscription IssueListChanges($projectId: ID!) {
    issueChanges(projectId: $projectId) {
      kind
      committedAt
      issue {
        ...IssueListFields
      }
    }
  }
`);

export const PAGE_SIZE = 25;
export const DEFAULT_QUERY = "is:unresolved";
const SORTS: { value: IssueSort; label: string }[] = [
  { value: "LAST_SEEN", label: "Last seen" },
  { value: "FIRST_SEEN", label: "First seen" },
  { value: "FREQ", label: "Events" },
  { value: "USERS", label: "Users" },
];
// The page follows live changes within a third of a second; sparklines (25 analytics queries)
// need not, so they are read again at most every 5 s.
const REFETCH_THROTTLE_MS = 300;
const STATS_THROTTLE_MS = 5000;

export function IssueListPage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const query = search.get("query") ?? DEFAULT_QUERY;
  const sort = (search.get("sort") as IssueSort | null) ?? "LAST_SEEN";
  const after = search.get("after");
  const [previous, setPrevious] = useState<(string | null)[]>([]);

  const variables = { org, project, first: PAGE_SIZE, after, query, sort };
  const [result, refetch] = useQuery({ query: IssueListDocument, variables });
  const [stats, refetchStats] = useQuery({ query: IssueListStatsDocument, variables, pause: !result.data?.project });
  // The project's id from the viewer's projects, so live updates keep flowing while a search errs.
  const viewer = useViewer();
  const projectId =
    result.data?.project?.id ??
    viewer?.organizations.find((o) => o.slug === org)?.projects.find((p) => p.slug === project)?.id;

  // Live: rows patched from the subscription, by issue id, newest version wins.
  const [live, setLive] = useState<Map<string, IssueListFieldsFragment>>(new Map());
  const [flash, setFlash] = useState<Set<string>>(new Set());
  const { connected, connections } = useLiveConnection();
  const client = useClient();
  const refetchList = useThrottled(() => refetch({ requestPolicy: "network-only" }), REFETCH_THROTTLE_MS);
  const refetchSparklines = useThrottled(() => refetchStats({ requestPolicy: "network-only" }), STATS_THROTTLE_MS);
  const firstPage = !after;
  useTitle(`Issues · ${org}/${project}`);

  useEffect(() => {
    setLive(new Map());
  }, [result.data]);

  useEffect(() => {
    if (!projectId) return;
    const subscription = client.subscription(IssueChangesDocument, { projectId }).subscribe((change) => {
      const issue = change.data?.issueChanges.issue;
      if (!issue) return;
      setLive((current) => {
        const known = current.get(issue.id);
        if (known && known.version > issue.version) return current;
        return new Map(current).set(issue.id, issue);
      });
      setFlash((current) => new Set(current).add(issue.id));
      window.setTimeout(
        () =>
          setFlash((current) => {
            const next = new Set(current);
            next.delete(issue.id);
            return next;
          }),
        2000,
      );
      if (firstPage) refetchList();
      refetchSparklines();
    });
    return () => subscription.unsubscribe();
  }, [client, projectId, firstPage, refetchList, refetchSparklines]);

  // After a reconnection the changes sent meanwhile are lost: read the page again.
  useEffect(() => {
    if (connections > 1) {
      refetch({ requestPolicy: "network-only" });
      refetchStats({ requestPolicy: "network-only" });
    }
  }, [connections, refetch, refetchStats]);

  const connection = result.data?.project?.issues;
  const rows = useMemo(() => {
    const listed = (connection?.edges ?? []).map((edge) => {
      const patched = live.get(edge.node.id);
      return patched && patched.version >= edge.node.version ? patched : edge.node;
    });
    if (!firstPage) return listed;
    // A created issue shows at once on the first page (before the refetch confirms it) when
    // the order puts new activity on top and the default search would list it.
    const ids = new Set(listed.map((r) => r.id));
    const fresh = [...live.values()].filter(
      (issue) =>
        !ids.has(issue.id) &&
        issue.status === "UNRESOLVED" &&
        (sort === "LAST_SEEN" || sort === "FIRST_SEEN") &&
        (query === DEFAULT_QUERY || query === ""),
    );
    fresh.sort((a, b) => (sort === "FIRST_SEEN" ? b.firstSeen.localeCompare(a.firstSeen) : b.lastSeen.localeCompare(a.lastSeen)));
    return [...fresh, ...listed].slice(0, PAGE_SIZE);
  }, [connection, live, firstPage, sort, query]);

  const sparklines = useMemo(() => {
    const byId = new Map<string, { start: string; count: number }[]>();
    // stats is null where the analytics store is unavailable: no sparkline then, the rest shows.
    for (const edge of stats.data?.project?.issues.edges ?? []) {
      if (edge.node.stats) byId.set(edge.node.id, edge.node.stats);
    }
    return byId;
  }, [stats.data]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [org, project, query, sort, after]);
  const selection = rows.filter((r) => selected.has(r.id));

  function go(next: { query?: string; sort?: string; after?: string | null }) {
    const params = new URLSearchParams();
    const q = next.query ?? query;
    const s = next.sort ?? sort;
    if (q !== DEFAULT_QUERY) params.set("query", q);
    if (s !== "LAST_SEEN") params.set("sort", s);
    const a = next.after === undefined ? null : next.after;
    if (a) params.set("after", a);
    const qs = params.toString();
    navigate(`${paths.issues(org, project)}${qs ? `?${qs}` : ""}`);
  }

  const searchError = result.error?.graphQLErrors.find((e) => /search|query|cursor/i.test(e.message))?.message;
  const otherError = result.error && !searchError ? result.error : null;
  const notFound = result.data && !result.data.project && !result.error;
  const offset = previous.length * PAGE_SIZE;

  return (
    <div className="page wide">
      <div className="page-header">
        <h1>
          Issues <span className="muted">{result.data?.project?.name ?? project}</span>
        </h1>
        <span className={connected && projectId ? "live on" : "live"} title="Live updates over issueChanges">
          {connected && projectId ? "● Live" : "○ Offline"}
        </span>
      </div>
      <div className="toolbar">
        <SearchBox
          value={query}
          error={searchError}
          onSubmit={(q) => {
            setPrevious([]);
            go({ query: q, after: null });
          }}
        />
        <select
          className="btn"
          aria-label="Sort by"
          value={sort}
          onChange={(e) => {
            setPrevious([]);
            go({ sort: e.target.value, after: null });
          }}
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              Sort: {s.label}
            </option>
          ))}
        </select>
      </div>
      {otherError && <ErrorBox error={otherError} />}
      {notFound && <ErrorBox userErrors={[{ message: `project ${org}/${project} not found` }]} />}
      <div className="card issue-table">
        <div className="issue-head">
          <input
            type="checkbox"
            aria-label="Select all"
            checked={rows.length > 0 && selection.length === rows.length}
            onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())}
          />
          {selection.length > 0 ? (
            <div className="bulk">
              <span className="small">{selection.length} selected</span>
              <TriageActions
                org={org}
                targets={selection}
                onMerged={(id) => {
                  setSelected(new Set());
                  navigate(paths.issue(org, project, id));
                }}
              />
            </div>
          ) : (
            <>
              <span className="col-issue">Issue</span>
              <span className="col-graph">Last 24 h</span>
              <span className="col-num">Events</span>
              <span className="col-num">Users</span>
              <span className="col-seen">Seen</span>
              <span className="col-assignee">Assignee</span>
            </>
          )}
        </div>
        {result.fetching && !connection && <div className="empty muted">Loading…</div>}
        {connection && rows.length === 0 && <div className="empty muted">No issues match {query ? <code>{query}</code> : "this view"}.</div>}
        {rows.map((issue) => (
          <div key={issue.id} className={`issue-row${flash.has(issue.id) ? " flash" : ""}${selected.has(issue.id) ? " selected" : ""}`} data-issue-id={issue.id}>
            <input
              type="checkbox"
              aria-label={`Select ${issue.shortId}`}
              checked={selected.has(issue.id)}
              onChange={(e) => {
                const next = new Set(selected);
                if (e.target.checked) next.add(issue.id);
                else next.delete(issue.id);
                setSelected(next);
              }}
            />
            <div className="col-issue">
              <LevelBar level={issue.level} />
              <div className="issue-text">
                <Link href={paths.issue(org, project, issue.id)} className="issue-title">
                  {issue.title}
                </Link>
                <div className="issue-meta">
                  <span className="short-id">{issue.shortId}</span>
                  <StatusBadge status={issue.status} substatus={issue.substatus} />
                  {issue.culprit && <span className="culprit">{issue.culprit}</span>}
                  {issue.lastRelease && <span className="muted small">{issue.lastRelease}</span>}
                </div>
              </div>
            </div>
            <div className="col-graph">
              {sparklines.has(issue.id) ? <Sparkline buckets={sparklines.get(issue.id)!} /> : <span className="sparkline-placeholder" />}
            </div>
            <div className="col-num" title={`${issue.timesSeen} events`}>
              {compactNumber(issue.timesSeen)}
            </div>
            <div className="col-num" title={`${issue.userCount} users`}>
              {compactNumber(issue.userCount)}
            </div>
            <div className="col-seen small">
              <div title={`last seen ${absolute(issue.lastSeen)}`}>{timeAgo(issue.lastSeen)}</div>
              <div className="muted" title={`first seen ${absolute(issue.firstSeen)}`}>
                {timeAgo(issue.firstSeen)} old
              </div>
            </div>
            <div className="col-assignee small">{issue.assignee ?? <span className="muted">—</span>}</div>
          </div>
        ))}
      </div>
      <div className="pager">
        <span className="muted small">
          {connection ? `${connection.totalCount ? offset + 1 : 0}–${offset + (connection.edges.length ?? 0)} of ${connection.totalCount}` : ""}
          {errorMessages(stats.error).length > 0 && ` · sparklines unavailable: ${errorMessages(stats.error)[0]}`}
        </span>
        <div className="btn-group">
          <button
            className="btn"
            disabled={previous.length === 0}
            onClick={() => {
              const back = previous[previous.length - 1];
              setPrevious(previous.slice(0, -1));
              go({ after: back });
            }}
          >
            ← Previous
          </button>
          <button
            className="btn"
            disabled={!connection?.pageInfo.hasNextPage}
            onClick={() => {
              setPrevious([...previous, after]);
              go({ after: connection?.pageInfo.endCursor ?? null });
            }}
          >
            Next →
          </button>
        </div>
      </div>
    </div>
  );
}
