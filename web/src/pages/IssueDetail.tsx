// Page 3: one issue. Its header and triage actions, the stats chart (24 h / 14 d / 30 d), its
// events with newer / older navigation and the chosen event in full (stack trace, breadcrumbs,
// tags, contexts, user), tag facets, grouping (with unmerge) and the activity history. It
// follows `issueChanges` so a regression or someone else's change shows without a reload.
import { useEffect, useMemo, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { useLiveConnection } from "../client";
import { Link, useLocation, useParams } from "wouter";
import { LevelBadge, StatusBadge } from "../components/Badges";
import { StatsChart } from "../components/Charts";
import { ErrorBox } from "../components/ErrorBox";
import { EventView } from "../components/EventView";
import { TriageActions, type UserErrorLike } from "../components/Triage";
import { graphql } from "../gql";
import type { StatsPeriod } from "../gql/graphql";
import { absolute, compactNumber, timeAgo } from "../lib/time";
import { paths } from "../paths";
import { useTitle } from "../lib/title";

const IssueDetailDocument = graphql(`
  query IssueDetail($id: ID!) {
    issue(id: $id) {
      ...IssueListFields
      firstRelease
      groupingVariant
      project {
        id
        slug
        name
      }
      grouping {
        config
        variant
        components
        hashes
      }
      tagFacets(top: 5) {
        key
        count
        distinctValues
        topValues {
          value
          count
        }
      }
      activity {
        kind
        actor
        at
        data
      }
    }
  }
`);

const IssueStatsDocument = graphql(`
  query IssueStats($id: ID!, $period: StatsPeriod!) {
    issue(id: $id) {
      id
      stats(period: $period) {
        start
        count
        users
      }
    }
  }
`);

const IssueEventsDocument = graphql(`
  query IssueEvents($id: ID!, $after: String) {
    issue(id: $id) {
      id
      events(first: 50, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            eventId
            timestamp
            title
            level
          }
        }
      }
    }
  }
`);

const EventDetailDocument = graphql(`
  query EventDetail($org: String!, $project: String!, $eventId: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      event(eventId: $eventId) {
        id
        eventId
        timestamp
        receivedAt
        title
        message
        level
        platform
        tags {
          key
          value
        }
        payload
      }
    }
  }
`);

const IssueDetailChangesDocument = graphql(`
  subscription IssueDetailChanges($projectId: ID!) {
    issueChanges(projectId: $projectId) {
      kind
      issue {
        id
      }
    }
  }
`);

const UnmergeDocument = graphql(`
  mutation UnmergeIssue($input: UnmergeIssueInput!) {
    unmergeIssue(input: $input) {
      issue {
        id
      }
      source {
        id
        version
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const PERIODS: { value: StatsPeriod; label: string }[] = [
  { value: "HOUR_24", label: "24 h" },
  { value: "DAY_14", label: "14 d" },
  { value: "DAY_30", label: "30 d" },
];

export function IssueDetailPage() {
  const { org, project, issueId, eventId } = useParams<{ org: string; project: string; issueId: string; eventId?: string }>();
  const [, navigate] = useLocation();
  const [period, setPeriod] = useState<StatsPeriod>("HOUR_24");
  const [issueResult, refetchIssue] = useQuery({ query: IssueDetailDocument, variables: { id: issueId } });
  const [statsResult, refetchStats] = useQuery({ query: IssueStatsDocument, variables: { id: issueId, period } });

  // Events, newest first, a page of 50 at a time; "older" past the last loaded one loads more.
  const [pages, setPages] = useState<(string | null)[]>([null]);
  useEffect(() => setPages([null]), [issueId]);
  const client = useClient();
  const [events, setEvents] = useState<{ id: string; eventId: string; timestamp: string; title: string; level: string }[]>([]);
  const [eventsMeta, setEventsMeta] = useState<{ total: number; hasNext: boolean; end: string | null }>({ total: 0, hasNext: false, end: null });
  const [eventsVersion, setEventsVersion] = useState(0);
  useEffect(() => {
    let cancelled = false;
    Promise.all(
      pages.map((after) => client.query(IssueEventsDocument, { id: issueId, after }, { requestPolicy: "network-only" }).toPromise()),
    ).then((results) => {
      if (cancelled) return;
      const all = results.flatMap((r) => r.data?.issue?.events.edges.map((e) => e.node) ?? []);
      const last = results[results.length - 1]?.data?.issue?.events;
      setEvents(all);
      setEventsMeta({ total: last?.totalCount ?? all.length, hasNext: !!last?.pageInfo.hasNextPage, end: last?.pageInfo.endCursor ?? null });
    });
    return () => {
      cancelled = true;
    };
  }, [client, issueId, pages, eventsVersion]);

  const currentEventId = eventId ?? events[0]?.eventId;
  const [eventResult] = useQuery({
    query: EventDetailDocument,
    variables: { org, project, eventId: currentEventId ?? "" },
    pause: !currentEventId,
  });

  const issue = issueResult.data?.issue;
  useTitle(issue ? `${issue.shortId} · ${issue.title}` : null);
  const projectId = issue?.project.id;
  useEffect(() => {
    if (!projectId) return;
    const subscription = client.subscription(IssueDetailChangesDocument, { projectId }).subscribe((change) => {
      if (change.data?.issueChanges.issue.id !== issueId) return;
      refetchIssue({ requestPolicy: "network-only" });
      refetchStats({ requestPolicy: "network-only" });
      setEventsVersion((v) => v + 1);
    });
    return () => subscription.unsubscribe();
  }, [client, projectId, issueId, refetchIssue, refetchStats]);

  // After a reconnection the changes sent meanwhile are lost: read the issue again.
  const { connections } = useLiveConnection();
  useEffect(() => {
    if (connections > 1) {
      refetchIssue({ requestPolicy: "network-only" });
      setEventsVersion((v) => v + 1);
    }
  }, [connections, refetchIssue]);

  const [, unmerge] = useMutation(UnmergeDocument);
  const [unmergeErrors, setUnmergeErrors] = useState<UserErrorLike[]>([]);

  const index = useMemo(() => events.findIndex((e) => e.eventId === currentEventId), [events, currentEventId]);
  const newer = index > 0 ? events[index - 1] : null;
  const older = index >= 0 && index + 1 < events.length ? events[index + 1] : null;
  // "Older" on the last loaded event loads the next page, then moves onto its first event.
  const [stepOlder, setStepOlder] = useState(false);
  useEffect(() => {
    if (stepOlder && older) {
      setStepOlder(false);
      navigate(paths.event(org, project, issueId, older.eventId));
    }
  }, [stepOlder, older, navigate, org, project, issueId]);

  if (issueResult.error && !issue) return <div className="page"><ErrorBox error={issueResult.error} /></div>;
  if (issueResult.fetching && !issue) return <div className="page muted">Loading…</div>;
  if (!issue) return <div className="page"><ErrorBox userErrors={[{ message: "issue not found" }]} /></div>;

  const event = eventResult.data?.project?.event;
  const payload = (event?.payload ?? {}) as Record<string, unknown>;

  return (
    <div className="page wide issue-page">
      <div className="breadcrumb small">
        <Link href={paths.issues(org, project)}>← Issues</Link> <span className="muted">/ {issue.shortId}</span>
      </div>
      <div className="issue-header">
        <div className="issue-header-main">
          <h1 className="issue-h1">
            <LevelBadge level={issue.level} /> {issue.title}
          </h1>
          <div className="issue-meta">
            <span className="short-id">{issue.shortId}</span>
            <StatusBadge status={issue.status} substatus={issue.substatus} />
            {issue.culprit && <span className="culprit">{issue.culprit}</span>}
          </div>
        </div>
        <div className="issue-counts">
          <div>
            <div className="count-label">Events</div>
            <div className="count-value" data-testid="times-seen">{compactNumber(issue.timesSeen)}</div>
          </div>
          <div>
            <div className="count-label">Users</div>
            <div className="count-value">{compactNumber(issue.userCount)}</div>
          </div>
        </div>
      </div>
      <TriageActions org={org} targets={[issue]} />
      <div className="issue-columns">
        <div className="issue-main">
          <section className="card">
            <div className="card-header">
              <h2>Events over time</h2>
              <div className="btn-group" role="group" aria-label="Stats period">
                {PERIODS.map((p) => (
                  <button key={p.value} className={period === p.value ? "btn btn-small active" : "btn btn-small"} onClick={() => setPeriod(p.value)}>
                    {p.label}
                  </button>
                ))}
              </div>
            </div>
            <div className="pad">
              {statsResult.error ? <ErrorBox error={statsResult.error} /> : <StatsChart buckets={statsResult.data?.issue?.stats ?? []} period={period} />}
            </div>
          </section>
          <section className="card">
            <div className="card-header event-nav">
              <h2>
                Event <span className="mono small">{currentEventId?.slice(0, 8) ?? "—"}</span>
              </h2>
              <span className="muted small">
                {event && <span title={absolute(event.timestamp)}>{timeAgo(event.timestamp)}</span>}
                {typeof payload.release === "string" && <> · release <b>{payload.release}</b></>}
                {typeof payload.environment === "string" && <> · env <b>{payload.environment}</b></>}
                {index >= 0 && ` · ${index + 1} of ${eventsMeta.total}`}
              </span>
              <div className="btn-group">
                <button className="btn btn-small" disabled={!newer} onClick={() => newer && navigate(paths.event(org, project, issueId, newer.eventId))}>
                  ← Newer
                </button>
                <button
                  className="btn btn-small"
                  disabled={!older && !eventsMeta.hasNext}
                  onClick={() => {
                    if (older) navigate(paths.event(org, project, issueId, older.eventId));
                    else if (eventsMeta.hasNext) {
                      setStepOlder(true);
                      setPages([...pages, eventsMeta.end]);
                    }
                  }}
                >
                  Older →
                </button>
              </div>
            </div>
            <div className="pad">
              {eventResult.error && <ErrorBox error={eventResult.error} />}
              {event ? <EventView payload={event.payload} tags={event.tags} /> : <div className="muted">{currentEventId ? "Loading event…" : "No events."}</div>}
            </div>
          </section>
          <section className="card">
            <div className="card-header">
              <h2>Events</h2>
              <span className="muted small">{eventsMeta.total} in all</span>
            </div>
            <table className="events-table">
              <tbody>
                {events.map((e) => (
                  <tr key={e.id} className={e.eventId === currentEventId ? "current" : ""}>
                    <td className="mono small">
                      <Link href={paths.event(org, project, issueId, e.eventId)}>{e.eventId.slice(0, 12)}</Link>
                    </td>
                    <td>{e.title}</td>
                    <td className="small muted" title={absolute(e.timestamp)}>{timeAgo(e.timestamp)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {eventsMeta.hasNext && (
              <div className="pad">
                <button className="btn btn-small" onClick={() => setPages([...pages, eventsMeta.end])}>
                  Load older events
                </button>
              </div>
            )}
          </section>
        </div>
        <aside className="issue-side">
          <section className="card pad">
            <table className="kv">
              <tbody>
                <tr><th>First seen</th><td title={absolute(issue.firstSeen)}>{timeAgo(issue.firstSeen)}</td></tr>
                <tr><th>Last seen</th><td title={absolute(issue.lastSeen)}>{timeAgo(issue.lastSeen)}</td></tr>
                <tr><th>First release</th><td>{issue.firstRelease ?? "—"}</td></tr>
                <tr><th>Last release</th><td>{issue.lastRelease ?? "—"}</td></tr>
                <tr><th>Assignee</th><td>{issue.assignee ?? "—"}</td></tr>
              </tbody>
            </table>
          </section>
          <section className="card">
            <div className="card-header"><h2>Tags</h2></div>
            <div className="pad facets">
              {/* null where the analytics store is unavailable (the query's error says why) */}
              {issue.tagFacets == null && <div className="muted small">Tag counts unavailable.</div>}
              {issue.tagFacets?.length === 0 && <div className="muted small">No tags.</div>}
              {(issue.tagFacets ?? []).map((facet) => (
                <div className="facet" key={facet.key}>
                  <div className="facet-key">
                    {facet.key}{" "}
                    <span className="muted small">
                      {facet.distinctValues} value{facet.distinctValues === 1 ? "" : "s"}
                    </span>
                  </div>
                  {facet.topValues.map((v) => (
                    <div className="facet-value" key={v.value} title={`${v.count} of ${facet.count} events`}>
                      <div className="facet-bar" style={{ width: `${Math.max(2, (v.count / Math.max(1, facet.count)) * 100)}%` }} />
                      <span className="facet-label">{v.value}</span>
                      <span className="facet-pct">{Math.round((v.count / Math.max(1, facet.count)) * 100)}%</span>
                    </div>
                  ))}
                </div>
              ))}
            </div>
          </section>
          {issue.grouping && (
            <section className="card">
              <div className="card-header"><h2>Grouping</h2></div>
              <div className="pad small">
                <div>
                  <span className="muted">rule</span> {issue.grouping.variant} <span className="muted">· config</span> {issue.grouping.config}
                </div>
                <ul className="hashes">
                  {issue.grouping.hashes.map((hash) => (
                    <li key={hash}>
                      <code>{hash.slice(0, 16)}</code>
                      {issue.grouping!.hashes.length > 1 && (
                        <button
                          className="btn btn-small"
                          onClick={async () => {
                            const result = await unmerge({ input: { issueId: issue.id, hash, expectedVersion: issue.version } });
                            const errors: UserErrorLike[] = [...(result.data?.unmergeIssue.userErrors ?? [])];
                            if (result.error) errors.push({ message: result.error.message });
                            setUnmergeErrors(errors);
                            if (!errors.length) refetchIssue({ requestPolicy: "network-only" });
                          }}
                        >
                          Unmerge
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
                <ErrorBox userErrors={unmergeErrors} onDismiss={() => setUnmergeErrors([])} />
              </div>
            </section>
          )}
          <section className="card">
            <div className="card-header"><h2>Activity</h2></div>
            <ol className="activity pad">
              {[...issue.activity].reverse().map((a, i) => (
                <li key={i}>
                  <span className="activity-kind">{a.kind.replace(/^Issue/, "")}</span>{" "}
                  <span className="muted small">
                    {a.actor ? `by ${a.actor} · ` : ""}
                    <span title={absolute(a.at)}>{timeAgo(a.at)}</span>
                  </span>
                  <ActivityData data={a.data} />
                </li>
              ))}
            </ol>
          </section>
        </aside>
      </div>
    </div>
  );
}

// Identifiers in an activity's data say nothing to a person reading the history.
const HIDDEN_ACTIVITY_KEYS = /(^|_)(id|ids|hash|hashes|position)$/;

function ActivityData({ data }: { data: unknown }) {
  if (!data || typeof data !== "object") return null;
  const entries = Object.entries(data as Record<string, unknown>).filter(
    ([k, v]) => v !== null && v !== undefined && v !== "" && v !== false && !HIDDEN_ACTIVITY_KEYS.test(k),
  );
  if (!entries.length) return null;
  return (
    <div className="activity-data small muted">
      {entries.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ")}
    </div>
  );
}
