// One stored event (Event.payload, the normalized Sentry JSON): its message, exceptions with
// their stack traces, breadcrumbs, tags, request, user and contexts.
import { exceptionsOf, StackTrace } from "./StackTrace";

type Payload = Record<string, unknown>;

interface Breadcrumb {
  timestamp?: string | number;
  category?: string;
  type?: string;
  level?: string;
  message?: string;
  data?: Record<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function breadcrumbsOf(payload: Payload): Breadcrumb[] {
  const crumbs = payload.breadcrumbs;
  const values = Array.isArray(crumbs) ? crumbs : asRecord(crumbs)?.values;
  return Array.isArray(values) ? (values as Breadcrumb[]) : [];
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function crumbTime(ts: string | number | undefined): string {
  if (ts === undefined) return "";
  const date = typeof ts === "number" ? new Date(ts * 1000) : new Date(ts);
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString().slice(11, 23);
}

export function KeyValues({ data }: { data: Record<string, unknown> }) {
  const entries = Object.entries(data).filter(([, v]) => v !== null && v !== undefined && v !== "");
  if (!entries.length) return <div className="muted small">—</div>;
  return (
    <table className="kv">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th>{key}</th>
            <td>
              <code>{show(value)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EventView({ payload, tags }: { payload: unknown; tags: readonly { key: string; value: string }[] }) {
  const event = asRecord(payload) ?? {};
  const exceptions = exceptionsOf(event);
  const crumbs = breadcrumbsOf(event);
  const contexts = asRecord(event.contexts) ?? {};
  const user = asRecord(event.user);
  const request = asRecord(event.request);
  const logentry = asRecord(event.logentry);
  const message = show(logentry?.formatted ?? logentry?.message ?? event.message);
  return (
    <div className="event-view">
      {message && (
        <section className="section">
          <h3>Message</h3>
          <pre className="message">{message}</pre>
        </section>
      )}
      {exceptions.length > 0 && (
        <section className="section">
          <h3>Exception{exceptions.length > 1 ? `s (${exceptions.length}, chained)` : ""}</h3>
          <StackTrace exceptions={exceptions} />
        </section>
      )}
      {crumbs.length > 0 && (
        <section className="section">
          <h3>Breadcrumbs</h3>
          <table className="breadcrumbs">
            <thead>
              <tr>
                <th>Time</th>
                <th>Category</th>
                <th>Level</th>
                <th>Description</th>
              </tr>
            </thead>
            <tbody>
              {crumbs.map((crumb, i) => (
                <tr key={i} className={`crumb level-${crumb.level ?? "info"}`}>
                  <td className="mono small">{crumbTime(crumb.timestamp)}</td>
                  <td>{crumb.category ?? crumb.type ?? "default"}</td>
                  <td>{crumb.level ?? "info"}</td>
                  <td>
                    {crumb.message}
                    {crumb.data && Object.keys(crumb.data).length > 0 && <code className="crumb-data">{JSON.stringify(crumb.data)}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {tags.length > 0 && (
        <section className="section">
          <h3>Tags</h3>
          <div className="tags">
            {tags.map((tag) => (
              <span className="tag" key={`${tag.key}=${tag.value}`}>
                <span className="tag-key">{tag.key}</span>
                <span className="tag-value">{tag.value}</span>
              </span>
            ))}
          </div>
        </section>
      )}
      {request && (
        <section className="section">
          <h3>Request</h3>
          <KeyValues data={request} />
        </section>
      )}
      {user && (
        <section className="section">
          <h3>User</h3>
          <KeyValues data={user} />
        </section>
      )}
      {Object.keys(contexts).length > 0 && (
        <section className="section">
          <h3>Contexts</h3>
          <div className="contexts">
            {Object.entries(contexts).map(([name, value]) => (
              <div className="context-card" key={name}>
                <h4>{name}</h4>
                <KeyValues data={asRecord(value) ?? { value }} />
              </div>
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
