// Project settings, "Webhooks": the project's signed webhooks, their recent deliveries, and
// creating (the signing secret is shown once), pausing, rotating and deleting them.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import type { IssueChangeKind } from "../../gql/graphql";
import { problems, type Problem } from "../../lib/problems";
import { absolute, timeAgo } from "../../lib/time";
import { CopyButton } from "../CopyButton";
import { ErrorBox } from "../ErrorBox";

export const ProjectWebhooksDocument = graphql(`
  query ProjectWebhooks($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      webhooks {
        id
        url
        events
        description
        isActive
        createdAt
        deliveries(first: 5) {
          totalCount
          edges {
            node {
              deliveryId
              event
              status
              attempts
              responseStatusCode
              lastError
              createdAt
            }
          }
        }
      }
    }
  }
`);

const CreateWebhookDocument = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook {
        id
        url
      }
      secret
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const UpdateWebhookDocument = graphql(`
  mutation UpdateWebhook($input: UpdateWebhookInput!) {
    updateWebhook(input: $input) {
      webhook {
        id
        isActive
      }
      secret
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const DeleteWebhookDocument = graphql(`
  mutation DeleteWebhook($input: DeleteWebhookInput!) {
    deleteWebhook(input: $input) {
      deletedWebhookId
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const KINDS: IssueChangeKind[] = ["CREATED", "UPDATED", "REGRESSED", "RESOLVED", "IGNORED", "ASSIGNED", "MERGED", "UNMERGED"];

export function Webhooks({
  org,
  project,
  projectId,
  writable,
  why,
}: {
  org: string;
  project: string;
  projectId: string;
  writable: boolean;
  why?: string;
}) {
  const [{ data, error }, refetch] = useQuery({ query: ProjectWebhooksDocument, variables: { org, project } });
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<IssueChangeKind[]>(["CREATED", "REGRESSED"]);
  const [errors, setErrors] = useState<Problem[]>([]);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateWebhookDocument);
  const [, update] = useMutation(UpdateWebhookDocument);
  const [, remove] = useMutation(DeleteWebhookDocument);
  const reload = () => refetch({ requestPolicy: "network-only" });

  async function act(run: () => Promise<Problem[]>) {
    const found = await run();
    setErrors(found);
    if (!found.length) reload();
  }

  return (
    <section className="card" id="webhooks">
      <div className="card-header">
        <h2>Webhooks</h2>
        <span className="muted small">signed POSTs of issue changes (docs/integrations.md)</span>
      </div>
      <ErrorBox error={error} />
      {secret && (
        <div className="secret-box pad" role="status">
          <div>
            <b>Signing secret for {secret.url}</b> — shown this once; store it now.
          </div>
          <div className="copy-row">
            <input className="mono-input" readOnly value={secret.secret} aria-label="Webhook signing secret" />
            <CopyButton text={secret.secret} />
            <button className="btn btn-small" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      {data?.project?.webhooks.length === 0 && <p className="muted pad">No webhooks yet.</p>}
      <ul className="rows">
        {data?.project?.webhooks.map((hook) => (
          <li key={hook.id} className="row-item">
            <div className="row-main">
              <div>
                <span className="mono">{hook.url}</span> {!hook.isActive && <span className="status">paused</span>}
              </div>
              <div className="muted small">
                {hook.description && <>{hook.description} · </>}
                {hook.events.map((e) => e.toLowerCase()).join(", ")} · created <span title={absolute(hook.createdAt)}>{timeAgo(hook.createdAt)}</span>
              </div>
              {hook.deliveries.totalCount > 0 && (
                <ul className="deliveries small">
                  {hook.deliveries.edges.map(({ node: d }) => (
                    <li key={d.deliveryId}>
                      <span className={`delivery delivery-${d.status.toLowerCase()}`}>{d.status.toLowerCase()}</span> {d.event.toLowerCase()}
                      <span className="muted">
                        {" "}
                        · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
                        {d.responseStatusCode ? ` · HTTP ${d.responseStatusCode}` : ""} · <span title={absolute(d.createdAt)}>{timeAgo(d.createdAt)}</span>
                      </span>
                      {d.lastError && <span className="form-error"> · {d.lastError}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <div className="row-actions">
              <button
                className="btn btn-small"
                disabled={!writable}
                title={why}
                onClick={() =>
                  act(async () => {
                    const result = await update({ input: { id: hook.id, isActive: !hook.isActive } });
                    return problems(result, result.data?.updateWebhook);
                  })
                }
              >
                {hook.isActive ? "Pause" : "Resume"}
              </button>
              <button
                className="btn btn-small"
                disabled={!writable}
                title={why}
                onClick={() =>
                  act(async () => {
                    const result = await update({ input: { id: hook.id, rotateSecret: true } });
                    const found = problems(result, result.data?.updateWebhook);
                    if (!found.length && result.data?.updateWebhook.secret) setSecret({ url: hook.url, secret: result.data.updateWebhook.secret });
                    return found;
                  })
                }
              >
                Rotate secret
              </button>
              <button
                className="btn btn-small btn-danger"
                disabled={!writable}
                title={why}
                onClick={() => {
                  if (!window.confirm(`Delete the webhook to ${hook.url}?`)) return;
                  act(async () => {
                    const result = await remove({ input: { id: hook.id } });
                    return problems(result, result.data?.deleteWebhook);
                  });
                }}
              >
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <form
        className="pad form subform"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            const result = await create({ input: { projectId, url: url.trim(), events, description: description.trim() } });
            const found = problems(result, result.data?.createWebhook);
            const made = result.data?.createWebhook;
            if (!found.length && made?.secret && made.webhook) {
              setSecret({ url: made.webhook.url, secret: made.secret });
              setUrl("");
              setDescription("");
            }
            return found;
          });
        }}
      >
        <h3>Add a webhook</h3>
        <div className="form-grid two">
          <label>
            <span className="field-label">URL</span>
            <input type="text" value={url} placeholder="https://example.com/hooks/stackline" disabled={!writable} onChange={(e) => setUrl(e.target.value)} />
          </label>
          <label>
            <span className="field-label">Description</span>
            <input type="text" value={description} disabled={!writable} onChange={(e) => setDescription(e.target.value)} />
          </label>
        </div>
        <fieldset className="checks" disabled={!writable}>
          <legend className="field-label">Issue changes to send</legend>
          {KINDS.map((kind) => (
            <label key={kind} className="check-inline">
              <input
                type="checkbox"
                checked={events.includes(kind)}
                onChange={(e) => setEvents(e.target.checked ? [...events, kind] : events.filter((k) => k !== kind))}
              />
              {kind.toLowerCase()}
            </label>
          ))}
        </fieldset>
        <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!writable || creating} title={why}>
            Add webhook
          </button>
        </div>
      </form>
    </section>
  );
}
