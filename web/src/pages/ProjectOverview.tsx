// A project's overview, its home page: error volume over time, accepted vs refused items
// (usage), release health (crash-free sessions), and the latest transactions, cron monitors
// and check-ins, and user feedback. The analytics fields (volume, users) are a query of their own, so a
// process without the analytics store still shows the rest, with the reason it cannot.
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { Link, useParams } from "wouter";
import { LevelBadge } from "../components/Badges";
import { StatsChart } from "../components/Charts";
import { ErrorBox } from "../components/ErrorBox";
import { OutcomeChart } from "../components/OutcomeChart";
import { graphql } from "../gql";
import type { StatsPeriod } from "../gql/graphql";
import { crashFree, crashFreeByRelease, outcomeDays, outcomeTotals, percent } from "../lib/health";
import { absolute, compactNumber, timeAgo } from "../lib/time";
import { paths } from "../paths";
import "../settings.css";

const OverviewStatsDocument = graphql(`
  query OverviewStats($org: String!, $project: String!, $period: StatsPeriod!) {
    project(organizationSlug: $org, slug: $project) {
      id
      stats(period: $period) {
        start
        count
        users
      }
      userCount
    }
  }
`);

const ProjectOverviewDocument = graphql(`
  query ProjectOverview($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      platform
      usage(days: 30) {
        day
        category
        outcome
        reason
        quantity
      }
      sessions(days: 30) {
        day
        release
        environment
        status
        quantity
        errors
      }
      issues(first: 5, query: "is:unresolved") {
        totalCount
        edges {
          node {
            id
            shortId
            title
            level
            timesSeen
            lastSeen
          }
        }
      }
      transactions(first: 10) {
        totalCount
        edges {
          node {
            eventId
            name
            op
            status
            durationMs
            timestamp
            release
            environment
          }
        }
      }
      monitors {
        slug
        status
        schedule
        timezone
        lastCheckIn
        nextExpected
      }
      checkIns(first: 10) {
        checkInId
        monitorSlug
        status
        duration
        environment
        lastReceived
      }
      feedback(first: 10) {
        feedbackId
        associatedEventId
        name
        email
        comments
        receivedAt
      }
    }
  }
`);

const PERIODS: { value: StatsPeriod; label: string; long: string }[] = [
  { value: "HOUR_24", label: "24 h", long: "last 24 hours" },
  { value: "DAY_14", label: "14 d", long: "last 14 days" },
  { value: "DAY_30", label: "30 d", long: "last 30 days" },
];

export function ProjectOverviewPage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  const [period, setPeriod] = useState<StatsPeriod>("HOUR_24");
  const [overview] = useQuery({ query: ProjectOverviewDocument, variables: { org, project }, requestPolicy: "cache-and-network" });
  const [stats] = useQuery({ query: OverviewStatsDocument, variables: { org, project, period }, requestPolicy: "cache-and-network" });
  const [category, setCategory] = useState("error");
  const found = overview.data?.project;
  const usage = found?.usage ?? [];
  const totals = useMemo(() => outcomeTotals(usage), [usage]);
  const days = useMemo(() => outcomeDays(usage, category, 30), [usage, category]);
  const sessions = found?.sessions ?? [];
  const health = useMemo(() => crashFree(sessions), [sessions]);
  const releases = useMemo(() => crashFreeByRelease(sessions), [sessions]);

  if (overview.error && !found) return <div className="page"><ErrorBox error={overview.error} /></div>;
  if (overview.fetching && !found) return <div className="page muted">Loading…</div>;
  if (!found) return <div className="page"><ErrorBox userErrors={[{ message: "project not found" }]} /></div>;

  const buckets = stats.data?.project?.stats ?? [];
  const errorCount = buckets.reduce((sum, b) => sum + b.count, 0);
  const errorTotals = totals.find((t) => t.category === "error");
  const categories = totals.map((t) => t.category);
  const periodLabel = PERIODS.find((p) => p.value === period)!.long;

  return (
    <div className="page wide overview-page">
      <div className="page-header">
        <h1>
          {found.name || found.slug} <span className="muted">· overview</span>
        </h1>
        {found.platform && <span className="muted small">{found.platform}</span>}
      </div>

      <div className="tiles">
        <Tile label={`Errors, ${periodLabel}`} value={stats.data ? compactNumber(errorCount) : "…"} testId="event-count" exact={errorCount} />
        <Tile label="Users affected" value={stats.data?.project ? (stats.data.project.userCount == null ? "n/a" : compactNumber(stats.data.project.userCount)) : "…"} />
        <Tile label="Unresolved issues" value={compactNumber(found.issues.totalCount)} />
        <Tile label="Errors accepted, 30 d" value={compactNumber(errorTotals?.accepted ?? 0)} />
        <Tile
          label="Rate limited, 30 d"
          hint="errors answered 429 (key rate limits, quota) in 30 days"
          testId="rate-limited"
          value={compactNumber(errorTotals?.rateLimited ?? 0)}
          warn={!!errorTotals?.rateLimited}
        />
        <Tile label="Crash-free, 30 d" hint="sessions that did not end in a crash, 30 days" value={percent(health.rate)} testId="crash-free" />
      </div>

      <section className="card">
        <div className="card-header">
          <h2>Error volume</h2>
          <div className="btn-group" role="group" aria-label="Stats period">
            {PERIODS.map((p) => (
              <button key={p.value} className={period === p.value ? "btn btn-small active" : "btn btn-small"} onClick={() => setPeriod(p.value)}>
                {p.label}
              </button>
            ))}
          </div>
        </div>
        <div className="pad">{stats.error ? <ErrorBox error={stats.error} /> : <StatsChart buckets={buckets} period={period} />}</div>
      </section>

      <div className="overview-columns">
        <section className="card">
          <div className="card-header">
            <h2>Outcomes, 30 days</h2>
            {categories.length > 0 && (
              <select className="btn btn-small" aria-label="Data category" value={category} onChange={(e) => setCategory(e.target.value)}>
                {[...new Set(["error", ...categories])].map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            )}
          </div>
          <div className="pad">
            <OutcomeChart days={days} />
          </div>
          <table className="table">
            <thead>
              <tr>
                <th>Category</th>
                <th className="num">Accepted</th>
                <th className="num">Rate limited</th>
                <th className="num">Dropped</th>
                <th>Why refused</th>
              </tr>
            </thead>
            <tbody>
              {totals.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    Nothing received in 30 days.
                  </td>
                </tr>
              )}
              {totals.map((t) => (
                <tr key={t.category}>
                  <td>{t.category}</td>
                  <td className="num">{t.accepted}</td>
                  <td className={t.rateLimited ? "num warn" : "num"}>{t.rateLimited}</td>
                  <td className="num">{t.dropped}</td>
                  <td className="small muted">{t.reasons.map((r) => `${r.reason} (${r.quantity})`).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section className="card">
          <div className="card-header">
            <h2>Unresolved issues</h2>
            <Link href={paths.issues(org, project)} className="small">
              All issues →
            </Link>
          </div>
          {found.issues.edges.length === 0 ? (
            <p className="muted pad">No unresolved issues.</p>
          ) : (
            <ul className="rows">
              {found.issues.edges.map(({ node: issue }) => (
                <li key={issue.id} className="row-item">
                  <div className="row-main">
                    <Link href={paths.issue(org, project, issue.id)} className="issue-title">
                      {issue.title}
                    </Link>
                    <div className="issue-meta">
                      <LevelBadge level={issue.level} />
                      <span className="short-id">{issue.shortId}</span>
                      <span className="muted small" title={absolute(issue.lastSeen)}>
                        {timeAgo(issue.lastSeen)}
                      </span>
                    </div>
                  </div>
                  <div className="num">{compactNumber(issue.timesSeen)}</div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section className="card">
        <div className="card-header">
          <h2>Release health</h2>
          <span className="muted small">
            {health.total} ended session{health.total === 1 ? "" : "s"} in 30 days · {health.crashed} crashed · {health.abnormal} abnormal · {health.errored} with
            errors
          </span>
        </div>
        {releases.length === 0 ? (
          <p className="muted pad">No sessions yet: SDKs send them when release health is on (the Python SDK does by default).</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Release</th>
                <th className="num">Sessions</th>
                <th className="num">Crashed</th>
                <th className="num">Abnormal</th>
                <th className="num">Errored</th>
                <th>Crash-free</th>
              </tr>
            </thead>
            <tbody>
              {releases.map(({ release, health: h }) => (
                <tr key={release}>
                  <td className="mono small">{release || <span className="muted">no release</span>}</td>
                  <td className="num">{h.total}</td>
                  <td className="num">{h.crashed}</td>
                  <td className="num">{h.abnormal}</td>
                  <td className="num">{h.errored}</td>
                  <td>
                    <div className="meter" title={percent(h.rate)}>
                      <div className="meter-fill" style={{ width: `${(h.rate ?? 0) * 100}%` }} />
                    </div>{" "}
                    <span className="small">{percent(h.rate)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card">
        <div className="card-header">
          <h2>Transactions</h2>
          <span className="muted small">{found.transactions.totalCount} in all, newest first</span>
        </div>
        {found.transactions.edges.length === 0 ? (
          <p className="muted pad">No transactions: set traces_sample_rate in the SDK to send them.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Transaction</th>
                <th>Op</th>
                <th>Status</th>
                <th className="num">Duration</th>
                <th>Release</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {found.transactions.edges.map(({ node: t }) => (
                <tr key={t.eventId}>
                  <td className="mono small">{t.name}</td>
                  <td className="small">{t.op ?? "—"}</td>
                  <td className="small">{t.status ?? "—"}</td>
                  <td className="num">{t.durationMs != null ? `${t.durationMs.toFixed(t.durationMs < 10 ? 1 : 0)} ms` : "—"}</td>
                  <td className="small muted">{t.release ?? "—"}</td>
                  <td className="small muted" title={absolute(t.timestamp)}>
                    {timeAgo(t.timestamp)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <div className="overview-columns">
        <section className="card">
          <div className="card-header">
            <h2>Cron monitors</h2>
          </div>
          {found.monitors.length === 0 ? (
            <p className="muted pad">No monitors.</p>
          ) : (
            <table className="table" data-testid="monitors">
              <thead>
                <tr>
                  <th>Monitor</th>
                  <th>Status</th>
                  <th>Schedule</th>
                  <th>Last check-in</th>
                  <th>Next expected</th>
                </tr>
              </thead>
              <tbody>
                {found.monitors.map((m) => (
                  <tr key={m.slug}>
                    <td className="mono small">{m.slug}</td>
                    <td>
                      <span className={`checkin checkin-${m.status.toLowerCase()}`}>{m.status.toLowerCase()}</span>
                    </td>
                    <td className="mono small">
                      {m.schedule ?? "—"}
                      {m.timezone && m.timezone !== "UTC" ? ` (${m.timezone})` : ""}
                    </td>
                    <td className="small muted" title={m.lastCheckIn ? absolute(m.lastCheckIn) : undefined}>
                      {m.lastCheckIn ? timeAgo(m.lastCheckIn) : "—"}
                    </td>
                    <td className="small muted">{m.nextExpected ? absolute(m.nextExpected) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="card-header">
            <h2>Cron check-ins</h2>
          </div>
          {found.checkIns.length === 0 ? (
            <p className="muted pad">No check-ins.</p>
          ) : (
            <table className="table" data-testid="check-ins">
              <tbody>
                {found.checkIns.map((c) => (
                  <tr key={c.checkInId}>
                    <td className="mono small">{c.monitorSlug}</td>
                    <td>
                      <span className={`checkin checkin-${c.status}`}>{c.status.replace("_", " ")}</span>
                    </td>
                    <td className="num small">{c.duration != null ? `${c.duration.toFixed(1)} s` : "—"}</td>
                    <td className="small muted" title={absolute(c.lastReceived)}>
                      {timeAgo(c.lastReceived)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card">
          <div className="card-header">
            <h2>User feedback</h2>
          </div>
          {found.feedback.length === 0 ? (
            <p className="muted pad">No feedback.</p>
          ) : (
            <ul className="rows">
              {found.feedback.map((f) => (
                <li key={f.feedbackId} className="row-item">
                  <div className="row-main">
                    <div className="feedback-comments">{f.comments}</div>
                    <div className="muted small">
                      {f.name || f.email || "anonymous"}
                      {f.name && f.email ? ` <${f.email}>` : ""} · <span title={absolute(f.receivedAt)}>{timeAgo(f.receivedAt)}</span>
                      {f.associatedEventId && <> · event <span className="mono">{f.associatedEventId.slice(0, 8)}</span></>}
                    </div>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}

function Tile({
  label,
  value,
  hint,
  testId,
  warn,
  exact,
}: {
  label: string;
  value: string;
  hint?: string;
  testId?: string;
  warn?: boolean;
  exact?: number;
}) {
  return (
    <div className={warn ? "tile warn" : "tile"} title={hint}>
      <div className="count-label">{label}</div>
      <div className="count-value" data-testid={testId} data-value={exact} title={exact !== undefined ? String(exact) : undefined}>
        {value}
      </div>
    </div>
  );
}
