// Project settings, "Members": the organization's people and roles; adding, changing a role and
// removing (org:write; only owners touch owners, and the server keeps the last owner).
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { can, lacking, ROLES, type Access } from "../../lib/permissions";
import { problems, type Problem } from "../../lib/problems";
import { absolute, timeAgo } from "../../lib/time";
import { ErrorBox } from "../ErrorBox";

const OrganizationMembersDocument = graphql(`
  query OrganizationMembers($org: String!) {
    organization(slug: $org) {
      id
      members {
        email
        role
        joinedAt
        user {
          name
        }
      }
    }
  }
`);

const AddMemberDocument = graphql(`
  mutation AddMember($input: AddMemberInput!) {
    addMember(input: $input) {
      email
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const UpdateMemberDocument = graphql(`
  mutation UpdateMember($input: UpdateMemberInput!) {
    updateMember(input: $input) {
      member {
        email
        role
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const RemoveMemberDocument = graphql(`
  mutation RemoveMember($input: RemoveMemberInput!) {
    removeMember(input: $input) {
      removedEmail
      userErrors {
        message
        field
        code
      }
    }
  }
`);

export function Members({ org, access, viewerEmail }: { org: string; access: Access | null; viewerEmail?: string | null }) {
  const [{ data, error }, refetch] = useQuery({ query: OrganizationMembersDocument, variables: { org } });
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const [errors, setErrors] = useState<Problem[]>([]);
  const [, add] = useMutation(AddMemberDocument);
  const [, update] = useMutation(UpdateMemberDocument);
  const [, remove] = useMutation(RemoveMemberDocument);
  const writable = can(access, "org:write");
  const why = lacking(access, "org:write");
  const owner = !!access?.owner;

  async function act(run: () => Promise<Problem[]>): Promise<boolean> {
    const found = await run();
    setErrors(found);
    if (!found.length) refetch({ requestPolicy: "network-only" });
    return !found.length;
  }

  return (
    <section className="card" id="members">
      <div className="card-header">
        <h2>Members</h2>
        <span className="muted small">of the organization {org}</span>
      </div>
      <ErrorBox error={error} />
      <table className="table">
        <thead>
          <tr>
            <th>Member</th>
            <th>Role</th>
            <th>Joined</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {data?.organization?.members.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No members yet: the organization is run by its organization tokens.
              </td>
            </tr>
          )}
          {data?.organization?.members.map((m) => {
            // Only owners make, demote or remove owners.
            const locked = !writable || (m.role === "owner" && !owner);
            const title = !writable ? why : locked ? "only owners change owners" : undefined;
            return (
              <tr key={m.email}>
                <td>
                  {m.email} {m.email === viewerEmail && <span className="muted small">(you)</span>}
                  {m.user?.name && m.user.name !== m.email && <div className="muted small">{m.user.name}</div>}
                </td>
                <td>
                  <select
                    className="btn btn-small"
                    aria-label={`Role of ${m.email}`}
                    value={m.role}
                    disabled={locked}
                    title={title}
                    onChange={(e) => {
                      const next = e.target.value;
                      act(async () => {
                        const result = await update({ input: { organizationSlug: org, email: m.email, role: next } });
                        return problems(result, result.data?.updateMember);
                      });
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r} disabled={r === "owner" && !owner}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="small muted" title={absolute(m.joinedAt)}>
                  {timeAgo(m.joinedAt)}
                </td>
                <td className="actions">
                  <button
                    className="btn btn-small btn-danger"
                    disabled={locked}
                    title={title}
                    onClick={() => {
                      if (!window.confirm(`Remove ${m.email} from ${org}?`)) return;
                      act(async () => {
                        const result = await remove({ input: { organizationSlug: org, email: m.email } });
                        return problems(result, result.data?.removeMember);
                      });
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form
        className="pad form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          act(async () => {
            const result = await add({ input: { organizationSlug: org, email: email.trim(), role } });
            return problems(result, result.data?.addMember);
          }).then((ok) => ok && setEmail(""));
        }}
      >
        <label>
          <span className="field-label">Add a member</span>
          <input type="text" placeholder="person@example.com" value={email} disabled={!writable} title={why} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          <span className="field-label">Role</span>
          <select className="btn" aria-label="Role of the new member" value={role} disabled={!writable} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r} disabled={r === "owner" && !owner}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={!writable || !email.trim()} title={why}>
          Add member
        </button>
      </form>
      <div className="pad-x">
        <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
      </div>
    </section>
  );
}
