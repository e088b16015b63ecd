// Project settings, "Retention" and "Erase a person": the organization's defaults for how long
// its projects keep error events and how many (updateOrganizationSettings, org:write; a
// project's own setting, set through GraphQL or the CLI, wins), and crypto-shredding one
// person's data (eraseUser, owners only: docs/retention.md). Empty fields mean the server's
// setting. Whatever the server refuses is shown as it answered.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../../gql";
import { can, capitalized, lacking, type Access } from "../../lib/permissions";
import { problems, type Problem } from "../../lib/problems";
import { ErrorBox } from "../ErrorBox";

const OrganizationSettingsDocument = graphql(`
  query OrganizationSettings($org: String!) {
    organization(slug: $org) {
      id
      settings {
        retentionDays
        retentionMaxEvents
      }
    }
  }
`);

const UpdateOrganizationSettingsDocument = graphql(`
  mutation UpdateOrganizationSettings($input: UpdateOrganizationSettingsInput!) {
    updateOrganizationSettings(input: $input) {
      organization {
        id
        settings {
          retentionDays
          retentionMaxEvents
        }
      }
      userErrors {
        message
        field
        code
      }
    }
  }
`);

const EraseUserDocument = graphql(`
  mutation EraseUser($input: EraseUserInput!) {
    eraseUser(input: $input) {
      subjectsErased
      userErrors {
        message
        field
        code
      }
    }
  }
`);

interface Draft {
  days: string;
  maxEvents: string;
}

export function RetentionSettings({ org, access }: { org: string; access: Access | null }) {
  const [{ data, error }] = useQuery({ query: OrganizationSettingsDocument, variables: { org } });
  const settings = data?.organization?.settings;
  const stored = JSON.stringify({
    days: settings?.retentionDays?.toString() ?? "",
    maxEvents: settings?.retentionMaxEvents?.toString() ?? "",
  } satisfies Draft);
  const [draft, setDraft] = useState<Draft>(() => JSON.parse(stored) as Draft);
  // A refetch after a save (or another person's change) resets the form to what is stored.
  useEffect(() => setDraft(JSON.parse(stored) as Draft), [stored]);
  const [errors, setErrors] = useState<Problem[]>([]);
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateOrganizationSettingsDocument);
  const writable = can(access, "org:write");
  const why = lacking(access, "org:write");
  const disabled = !writable || fetching || !settings;
  const dirty = JSON.stringify(draft) !== stored;

  async function save() {
    setSaved(false);
    const input: Parameters<typeof update>[0]["input"] = { organizationSlug: org };
    if (draft.days.trim() === "") input.clearRetentionDays = true;
    else input.retentionDays = Number(draft.days);
    if (draft.maxEvents.trim() === "") input.clearRetentionMaxEvents = true;
    else input.retentionMaxEvents = Number(draft.maxEvents);
    const result = await update({ input });
    const found = problems(result, result.data?.updateOrganizationSettings);
    setErrors(found);
    setSaved(found.length === 0);
  }

  return (
    <section className="card" id="retention">
      <div className="card-header">
        <h2>Retention</h2>
        <span className="muted small">for every project of {org} without its own; empty: the server's setting</span>
      </div>
      <ErrorBox error={error} />
      <form
        className="pad form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <label>
          <span className="field-label">Keep events for (days)</span>
          <input
            type="number"
            min={0}
            step="any"
            className="num-input wide"
            placeholder="server's (90)"
            value={draft.days}
            disabled={disabled}
            title={why}
            onChange={(e) => setDraft({ ...draft, days: e.target.value })}
          />
        </label>
        <label>
          <span className="field-label">Error events kept per project</span>
          <input
            type="number"
            min={1}
            className="num-input wide"
            placeholder="no cap"
            value={draft.maxEvents}
            disabled={disabled}
            title={why}
            onChange={(e) => setDraft({ ...draft, maxEvents: e.target.value })}
          />
        </label>
        <button type="submit" className="btn btn-primary" disabled={disabled || !dirty} title={why}>
          Save retention
        </button>
        {saved && !dirty && <span className="saved">Saved</span>}
      </form>
      <p className="pad-x muted small">
        The retention job deletes what is older, or the oldest beyond the cap (never an issue's first or latest
        event); issue counts, usage and monitors keep counting what was deleted.
      </p>
      <div className="pad-x">
        <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
      </div>
    </section>
  );
}

const IDENTIFIERS = [
  { field: "email", label: "E-mail" },
  { field: "id", label: "User id" },
  { field: "username", label: "Username" },
  { field: "ipAddress", label: "IP address" },
] as const;

type Identifier = (typeof IDENTIFIERS)[number]["field"];

export function EraseUser({ org, access }: { org: string; access: Access | null }) {
  const [field, setField] = useState<Identifier>("email");
  const [value, setValue] = useState("");
  const [errors, setErrors] = useState<Problem[]>([]);
  const [erased, setErased] = useState<{ value: string; subjects: number } | null>(null);
  const [{ fetching }, erase] = useMutation(EraseUserDocument);
  const owner = !!access?.owner;
  const why = access && !owner ? `only owners erase people's data (your role: ${access.role ?? "none"})` : undefined;
  const label = IDENTIFIERS.find((i) => i.field === field)?.label ?? field;

  async function submit() {
    const given = value.trim();
    if (!given) return;
    const confirmed = window.confirm(
      `Erase the personal data of ${label.toLowerCase()} ${given} in ${org}? Every event of that person will read [erased], in every replay too. This cannot be undone.`,
    );
    if (!confirmed) return;
    setErased(null);
    const result = await erase({ input: { organizationSlug: org, [field]: given } });
    const found = problems(result, result.data?.eraseUser);
    setErrors(found);
    if (!found.length && result.data) {
      setErased({ value: given, subjects: result.data.eraseUser.subjectsErased });
      setValue("");
    }
  }

  return (
    <section className="card" id="erasure">
      <div className="card-header">
        <h2>Erase a person</h2>
        <span className="muted small">crypto-shredding: their sealed data reads [erased] everywhere</span>
      </div>
      {why && <p className="pad-x muted small">{capitalized(why)}.</p>}
      <form
        className="pad form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label>
          <span className="field-label">Identifier</span>
          <select className="btn" aria-label="Identifier to erase by" value={field} disabled={!owner} title={why} onChange={(e) => setField(e.target.value as Identifier)}>
            {IDENTIFIERS.map((i) => (
              <option key={i.field} value={i.field}>
                {i.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">As the SDK sent it</span>
          <input
            type="text"
            aria-label="Identifier value"
            placeholder={field === "ipAddress" ? "203.0.113.7" : field === "email" ? "person@example.com" : ""}
            value={value}
            disabled={!owner}
            title={why}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-danger" disabled={!owner || fetching || !value.trim()} title={why}>
          Erase…
        </button>
        {erased && (
          <span className="saved" role="status">
            Erased {erased.value}: {erased.subjects} {erased.subjects === 1 ? "subject" : "subjects"}
          </span>
        )}
      </form>
      <div className="pad-x">
        <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
      </div>
    </section>
  );
}
