// A project's alert rules: each rule's conditions, filters, interval and channels, with its
// recent notifications (status, attempts, the last error: failures stay visible); creating,
// editing, enabling or disabling and deleting rules (project:write).
import { useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import { Link, useParams } from "wouter";
import { useAccess } from "../access";
import { RuleEditor } from "../components/alerts/RuleEditor";
import { ErrorBox } from "../components/ErrorBox";
import { graphql } from "../gql";
import type { AlertRulesQuery } from "../gql/graphql";
import { describeCondition, describeInterval, emptyRuleForm, formToInput, ruleToForm, type RuleForm } from "../lib/alertForm";
import { can, capitalized, lacking } from "../lib/permissions";
import { problems, type Problem } from "../lib/problems";
import { absolute, timeAgo } from "../lib/time";
import { paths } from "../paths";
import "../settings.css";

const AlertRulesDocument = graphql(`
  query AlertRules($org: String!, $project: String!) {
    project(organizationSlug: $org, slug: $project) {
      id
      slug
      name
      webhooks {
        id
        url
        description
        isActive
      }
      alertRules {
        id
        name
        conditions {
          kind
          threshold
          windowMinutes
        }
        filters {
          levels
          environment
          release
          tags
          query
          monitorSlugs
        }
        actionIntervalMinutes
        channels {
          kind
          emails
          url
          webhookId
        }
        enabled
        createdAt
        updatedAt
        notifications(first: 10) {
          totalCount
          edges {
            node {
              notificationId
              trigger
              channel
              target
              issueId
              monitorSlug
              status
              attempts
              lastError
              triggeredAt
              lastAttemptAt
              nextAttemptAt
              sentAt
            }
          }
        }
      }
    }
  }
`);

const CreateAlertRuleDocument = graphql(`
  mutation CreateAlertRule($input: CreateAlertRuleInput!) {
    createAlertRule(input: $input) {
      alertRule {
        id
        name
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const UpdateAlertRuleDocument = graphql(`
  mutation UpdateAlertRule($input: UpdateAlertRuleInput!) {
    updateAlertRule(input: $input) {
      alertRule {
        id
        enabled
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const DeleteAlertRuleDocument = graphql(`
  mutation DeleteAlertRule($input: DeleteAlertRuleInput!) {
    deleteAlertRule(input: $input) {
      deletedAlertRuleId
      userErrors {
        message
        field
        code
      }
    }
  }
`);

type Rule = NonNullable<AlertRulesQuery["project"]>["alertRules"][number];
type Webhook = NonNullable<AlertRulesQuery["project"]>["webhooks"][number];

export function AlertRulesPage() {
  const { org, project } = useParams<{ org: string; project: string }>();
  const [{ data, error, fetching }] = useQuery({ query: AlertRulesDocument, variables: { org, project } });
  const client = useClient();
  const { access } = useAccess(org);
  const writable = can(access, "project:write");
  const why = lacking(access, "project:write");
  // null: no editor; "new": creating; else the id of the rule being edited.
  const [editing, setEditing] = useState<string | null>(null);
  const [errors, setErrors] = useState<Problem[]>([]);
  const [listErrors, setListErrors] = useState<Problem[]>([]);
  const [{ fetching: creating }, create] = useMutation(CreateAlertRuleDocument);
  const [{ fetching: updating }, update] = useMutation(UpdateAlertRuleDocument);
  const [, remove] = useMutation(DeleteAlertRuleDocument);
  // Awaitable, so a switch holds the asked-for state until the stored one has arrived.
  const reload = () => client.query(AlertRulesDocument, { org, project }, { requestPolicy: "network-only" }).toPromise();

  const found = data?.project;
  if (error && !found) return <div className="page"><ErrorBox error={error} /></div>;
  if (fetching && !found) return <div className="page muted">Loading…</div>;
  if (!found) return <div className="page"><ErrorBox userErrors={[{ message: "project not found" }]} /></div>;

  async function submit(form: RuleForm, ruleId: string | null) {
    const input = formToInput(form);
    const result = ruleId ? await update({ input: { id: ruleId, ...input } }) : await create({ input: { projectId: found!.id, ...input } });
    const payload = result.data ? ("createAlertRule" in result.data ? result.data.createAlertRule : result.data.updateAlertRule) : null;
    const found_ = problems(result, payload);
    setErrors(found_);
    if (!found_.length) {
      await reload();
      setEditing(null);
    }
  }

  async function act(run: () => Promise<Problem[]>) {
    const found_ = await run();
    setListErrors(found_);
    if (!found_.length) await reload();
  }

  const editorFor = (rule: Rule | null) => (
    <RuleEditor
      key={rule?.id ?? "new"}
      initial={rule ? ruleToForm(rule) : emptyRuleForm()}
      webhooks={found.webhooks}
      title={rule ? `Edit “${rule.name}”` : "New alert rule"}
      submitLabel={rule ? "Save rule" : "Create rule"}
      busy={creating || updating}
      errors={errors}
      onDismissErrors={() => setErrors([])}
      onSubmit={(form) => submit(form, rule?.id ?? null)}
      onCancel={() => {
        setEditing(null);
        setErrors([]);
      }}
    />
  );

  return (
    <div className="page alerts-page">
      <div className="page-header">
        <h1>
          Alert rules <span className="muted">· {found.name || found.slug}</span>
        </h1>
        <div className="spacer" />
        <button
          className="btn btn-primary"
          disabled={!writable || editing === "new"}
          title={why}
          onClick={() => {
            setErrors([]);
            setEditing("new");
          }}
        >
          New alert rule
        </button>
      </div>
      {access && !writable && (
        <div className="notice" role="note">
          {capitalized(why)}: you can read this project's alert rules but not change them.
        </div>
      )}
      <ErrorBox userErrors={listErrors} onDismiss={() => setListErrors([])} />
      {editing === "new" && editorFor(null)}
      {found.alertRules.length === 0 && editing !== "new" && (
        <div className="card empty">
          <p>No alert rules yet: nobody is told when this project's issues appear or regress.</p>
          <p className="muted small">A rule fires on any of its conditions, if all its filters hold, and notifies by e-mail, Slack or a signed webhook.</p>
        </div>
      )}
      {found.alertRules.map((rule) =>
        editing === rule.id ? (
          editorFor(rule)
        ) : (
          <RuleCard
            key={rule.id}
            org={org}
            project={project}
            rule={rule}
            webhooks={found.webhooks}
            writable={writable}
            why={why}
            onEdit={() => {
              setErrors([]);
              setEditing(rule.id);
            }}
            onToggle={() =>
              act(async () => {
                const result = await update({ input: { id: rule.id, enabled: !rule.enabled } });
                return problems(result, result.data?.updateAlertRule);
              })
            }
            onDelete={() => {
              if (!window.confirm(`Delete the alert rule “${rule.name}”? It notifies nobody any more.`)) return;
              act(async () => {
                const result = await remove({ input: { id: rule.id } });
                return problems(result, result.data?.deleteAlertRule);
              });
            }}
          />
        ),
      )}
    </div>
  );
}

function RuleCard({
  org,
  project,
  rule,
  webhooks,
  writable,
  why,
  onEdit,
  onToggle,
  onDelete,
}: {
  org: string;
  project: string;
  rule: Rule;
  webhooks: readonly Webhook[];
  writable: boolean;
  why?: string;
  onEdit: () => void;
  onToggle: () => Promise<void>;
  onDelete: () => void;
}) {
  // The switch shows the state asked for until the refetched rule shows the stored one.
  const [pending, setPending] = useState<boolean | null>(null);
  const enabled = pending ?? rule.enabled;
  const f = rule.filters;
  const filters = [
    f.levels.length ? `level ${f.levels.join(" or ")}` : null,
    f.environment ? `environment ${f.environment}` : null,
    f.release ? `release ${f.release}` : null,
    ...f.tags.map((t) => `tag ${t}`),
    f.query ? `matches “${f.query}”` : null,
    f.monitorSlugs.length ? `monitor ${f.monitorSlugs.join(" or ")}` : null,
  ].filter(Boolean);
  const channel = (c: Rule["channels"][number]) =>
    c.kind === "EMAIL" ? `e-mail ${c.emails.join(", ")}` : c.kind === "SLACK" ? `Slack ${c.url}` : `webhook ${webhooks.find((w) => w.id === c.webhookId)?.url ?? c.webhookId}`;
  const failed = rule.notifications.edges.filter((e) => e.node.status === "FAILED").length;
  return (
    <section className={rule.enabled ? "card rule" : "card rule disabled"} data-rule={rule.name}>
      <div className="card-header">
        <div className="rule-title">
          <span className="rule-name">{rule.name}</span> {!rule.enabled && <span className="status">disabled</span>}
          {failed > 0 && <span className="status sub-regressed">{failed} failed</span>}
        </div>
        <div className="row-actions">
          <label className="switch" title={why}>
            <input
              type="checkbox"
              checked={enabled}
              disabled={!writable || pending !== null}
              aria-label={`${rule.name} enabled`}
              onChange={async (e) => {
                setPending(e.target.checked);
                await onToggle();
                setPending(null);
              }}
            />
            <span>{enabled ? "enabled" : "disabled"}</span>
          </label>
          <button className="btn btn-small" disabled={!writable} title={why} onClick={onEdit}>
            Edit
          </button>
          <button className="btn btn-small btn-danger" disabled={!writable} title={why} onClick={onDelete}>
            Delete
          </button>
        </div>
      </div>
      <dl className="rule-summary pad">
        <dt>When</dt>
        <dd>{rule.conditions.map(describeCondition).join(", or ")}</dd>
        <dt>If</dt>
        <dd>{filters.length ? filters.join(", and ") : <span className="muted">always</span>}</dd>
        <dt>Then</dt>
        <dd>
          {rule.channels.map(channel).join("; ")} <span className="muted">· at most once per issue or monitor every {describeInterval(rule.actionIntervalMinutes)}</span>
        </dd>
      </dl>
      <div className="notifications">
        <h3 className="pad-x">
          Recent notifications <span className="muted small">({rule.notifications.totalCount} in all)</span>
        </h3>
        {rule.notifications.edges.length === 0 ? (
          <p className="muted small pad-x">None yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Status</th>
                <th>Trigger</th>
                <th>To</th>
                <th>Issue</th>
                <th className="num">Attempts</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {rule.notifications.edges.map(({ node: n }) => (
                <tr key={n.notificationId} className={`notification notification-${n.status.toLowerCase()}`}>
                  <td>
                    <span className={`delivery delivery-${n.status.toLowerCase()}`}>{n.status.toLowerCase()}</span>
                    {n.lastError && <div className="form-error small">{n.lastError}</div>}
                    {n.status === "PENDING" && n.nextAttemptAt && <div className="muted small">next try {absolute(n.nextAttemptAt)}</div>}
                  </td>
                  <td className="small">{n.trigger.toLowerCase().replaceAll("_", " ")}</td>
                  <td className="small">
                    {n.channel.toLowerCase()} <span className="muted">{n.target}</span>
                  </td>
                  <td className="small">
                    {n.issueId ? (
                      <Link href={paths.issue(org, project, n.issueId)}>issue</Link>
                    ) : (
                      <Link href={paths.project(org, project)}>monitor {n.monitorSlug}</Link>
                    )}
                  </td>
                  <td className="num">{n.attempts}</td>
                  <td className="small muted" title={absolute(n.sentAt ?? n.lastAttemptAt ?? n.triggeredAt)}>
                    {timeAgo(n.triggeredAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
