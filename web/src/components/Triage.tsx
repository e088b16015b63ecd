// Triage: resolve (now / in the next release), ignore (forever / N more events / N more users /
// until a time), unresolve and assign, for one issue or a selection; merging a selection. Each
// change is an `updateIssue` with the version the issue was read at, so a concurrent change comes
// back as a CONFLICT user error, which is shown, not swallowed.
import { useState, type ReactNode } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { UpdateIssueInput } from "../gql/graphql";
import { ErrorBox } from "./ErrorBox";

const UpdateIssueDocument = graphql(`
  mutation UpdateIssue($input: UpdateIssueInput!) {
    updateIssue(input: $input) {
      issue {
        id
        status
        substatus
        assignee
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

const MergeIssuesDocument = graphql(`
  mutation MergeIssues($input: MergeIssuesInput!) {
    mergeIssues(input: $input) {
      issue {
        id
        shortId
        timesSeen
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

const MembersDocument = graphql(`
  query Members($org: String!) {
    organization(slug: $org) {
      id
      members {
        email
        role
      }
    }
  }
`);

export interface TriageTarget {
  id: string;
  shortId?: string;
  version: number;
  status: string;
  assignee?: string | null;
}

export interface UserErrorLike {
  message: string;
  field?: readonly string[] | null;
  code?: string | null;
}

type Change = Omit<UpdateIssueInput, "id" | "expectedVersion">;

function useTriage(targets: readonly TriageTarget[]) {
  const [{ fetching }, update] = useMutation(UpdateIssueDocument);
  const [userErrors, setUserErrors] = useState<UserErrorLike[]>([]);
  async function apply(change: Change) {
    setUserErrors([]);
    const results = await Promise.all(
      targets.map((t) => update({ input: { id: t.id, expectedVersion: t.version, ...change } })),
    );
    const errors: UserErrorLike[] = [];
    results.forEach((result, i) => {
      const label = targets.length > 1 ? `${targets[i].shortId ?? targets[i].id}: ` : "";
      if (result.error) errors.push({ message: label + result.error.message });
      for (const e of result.data?.updateIssue.userErrors ?? []) errors.push({ ...e, message: label + e.message });
    });
    setUserErrors(errors);
  }
  return { apply, fetching, userErrors, clear: () => setUserErrors([]) };
}

function Menu({ label, children, disabled }: { label: ReactNode; children: ReactNode; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="menu" onBlur={(e) => !e.currentTarget.contains(e.relatedTarget) && setOpen(false)}>
      <button className="btn menu-toggle" disabled={disabled} aria-expanded={open} onClick={() => setOpen(!open)}>
        {label} ▾
      </button>
      {open && (
        <div className="menu-items" onClick={(e) => (e.target as HTMLElement).dataset.close && setOpen(false)}>
          {children}
        </div>
      )}
    </div>
  );
}

export function TriageActions({
  org,
  targets,
  onMerged,
  children,
}: {
  org: string;
  targets: readonly TriageTarget[];
  onMerged?: (issueId: string) => void;
  children?: ReactNode;
}) {
  const { apply, fetching, userErrors, clear } = useTriage(targets);
  const [, merge] = useMutation(MergeIssuesDocument);
  const [mergeErrors, setMergeErrors] = useState<UserErrorLike[]>([]);
  const [{ data: members }] = useQuery({ query: MembersDocument, variables: { org } });
  const [count, setCount] = useState("100");
  const [users, setUsers] = useState("10");
  const [until, setUntil] = useState(() => new Date(Date.now() + 86_400_000).toISOString().slice(0, 16));
  const none = targets.length === 0;
  const all = (status: string) => targets.length > 0 && targets.every((t) => t.status === status);
  const busy = fetching || none;

  async function mergeSelected() {
    setMergeErrors([]);
    const result = await merge({
      input: {
        issueIds: targets.map((t) => t.id),
        expectedVersions: targets.map((t) => ({ id: t.id, version: t.version })),
      },
    });
    const errors: UserErrorLike[] = [...(result.data?.mergeIssues.userErrors ?? [])];
    if (result.error) errors.push({ message: result.error.message });
    setMergeErrors(errors);
    const merged = result.data?.mergeIssues.issue;
    if (merged && !errors.length) onMerged?.(merged.id);
  }

  return (
    <div className="triage">
      <div className="triage-buttons">
        {children}
        {all("RESOLVED") ? (
          <button className="btn" disabled={busy} onClick={() => apply({ status: "UNRESOLVED" })}>
            Unresolve
          </button>
        ) : (
          <div className="btn-group">
            <button className="btn" disabled={busy} onClick={() => apply({ status: "RESOLVED" })}>
              ✓ Resolve
            </button>
            <Menu label="" disabled={busy}>
              <button className="menu-item" data-close="1" onClick={() => apply({ status: "RESOLVED" })}>
                Resolve now
              </button>
              <button
                className="menu-item"
                data-close="1"
                onClick={() => apply({ status: "RESOLVED", inNextRelease: true })}
              >
                Resolve in the next release
              </button>
            </Menu>
          </div>
        )}
        {all("IGNORED") ? (
          <button className="btn" disabled={busy} onClick={() => apply({ status: "UNRESOLVED" })}>
            Stop ignoring
          </button>
        ) : (
          <Menu label="Ignore" disabled={busy}>
            <button className="menu-item" data-close="1" onClick={() => apply({ status: "IGNORED" })}>
              Forever
            </button>
            <form
              className="menu-form"
              onSubmit={(e) => {
                e.preventDefault();
                apply({ status: "IGNORED", ignoreUntilEventCount: Number(count) });
              }}
            >
              <span>Until</span>
              <input aria-label="more events" type="number" min="1" value={count} onChange={(e) => setCount(e.target.value)} />
              <span>more events</span>
              <button className="btn btn-small" type="submit">
                Ignore
              </button>
            </form>
            <form
              className="menu-form"
              onSubmit={(e) => {
                e.preventDefault();
                apply({ status: "IGNORED", ignoreUntilUserCount: Number(users) });
              }}
            >
              <span>Until</span>
              <input aria-label="more users" type="number" min="1" value={users} onChange={(e) => setUsers(e.target.value)} />
              <span>more users</span>
              <button className="btn btn-small" type="submit">
                Ignore
              </button>
            </form>
            <form
              className="menu-form"
              onSubmit={(e) => {
                e.preventDefault();
                apply({ status: "IGNORED", ignoreUntil: new Date(`${until}Z`).toISOString() });
              }}
            >
              <span>Until</span>
              <input aria-label="ignore until (UTC)" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
              <span className="muted">UTC</span>
              <button className="btn btn-small" type="submit">
                Ignore
              </button>
            </form>
          </Menu>
        )}
        {!all("UNRESOLVED") && !all("RESOLVED") && !all("IGNORED") && (
          <button className="btn" disabled={busy} onClick={() => apply({ status: "UNRESOLVED" })}>
            Unresolve
          </button>
        )}
        <select
          className="btn assign"
          aria-label="Assign to"
          disabled={busy}
          value={targets.length === 1 ? (targets[0].assignee ?? "") : ""}
          onChange={(e) => apply(e.target.value ? { assignee: e.target.value } : { unassign: true })}
        >
          <option value="">{targets.length === 1 && !targets[0].assignee ? "Unassigned" : "Unassign"}</option>
          {(members?.organization?.members ?? []).map((m) => (
            <option key={m.email} value={m.email}>
              {m.email}
            </option>
          ))}
        </select>
        {onMerged && (
          <button className="btn" disabled={targets.length < 2} onClick={mergeSelected} title="Merge the selected issues into the first">
            Merge
          </button>
        )}
      </div>
      <ErrorBox userErrors={[...userErrors, ...mergeErrors]} onDismiss={() => (clear(), setMergeErrors([]))} />
    </div>
  );
}
