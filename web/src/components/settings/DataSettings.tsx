// Project settings, "Data scrubbing" and "Quota": what is filtered before anything is stored,
// which browser origins may send, and the monthly event quota (updateProjectSettings).
import { useEffect, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { splitList } from "../../lib/alertForm";
import { problems, type Problem } from "../../lib/problems";
import { ErrorBox } from "../ErrorBox";

const UpdateProjectSettingsDocument = graphql(`
  mutation UpdateProjectSettings($input: UpdateProjectSettingsInput!) {
    updateProjectSettings(input: $input) {
      project {
        id
        settings {
          scrubData
          scrubIpAddresses
          sensitiveFields
          safeFields
          allowedOrigins
          monthlyEventQuota
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

export interface SettingsRow {
  scrubData: boolean;
  scrubIpAddresses: boolean;
  sensitiveFields: readonly string[];
  safeFields: readonly string[];
  allowedOrigins: readonly string[];
  monthlyEventQuota?: number | null;
}

interface Draft {
  scrubData: boolean;
  scrubIpAddresses: boolean;
  sensitiveFields: string;
  safeFields: string;
  allowedOrigins: string;
  monthlyEventQuota: string;
}

interface SectionProps {
  org: string;
  project: string;
  settings: SettingsRow;
  writable: boolean;
  why?: string;
}

function draftOf(settings: SettingsRow): Draft {
  return {
    scrubData: settings.scrubData,
    scrubIpAddresses: settings.scrubIpAddresses,
    sensitiveFields: settings.sensitiveFields.join("\n"),
    safeFields: settings.safeFields.join("\n"),
    allowedOrigins: settings.allowedOrigins.join("\n"),
    monthlyEventQuota: settings.monthlyEventQuota?.toString() ?? "",
  };
}

function useSettingsForm(org: string, project: string, settings: SettingsRow) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [errors, setErrors] = useState<Problem[]>([]);
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateProjectSettingsDocument);
  // A refetch after a save (or another person's change) resets the form to what is stored.
  const stored = JSON.stringify(draftOf(settings));
  useEffect(() => setDraft(JSON.parse(stored) as Draft), [stored]);
  const dirty = JSON.stringify(draft) !== stored;

  async function save(fields: (keyof Draft)[]) {
    setSaved(false);
    const input: Parameters<typeof update>[0]["input"] = { organizationSlug: org, projectSlug: project };
    for (const field of fields) {
      if (field === "scrubData" || field === "scrubIpAddresses") input[field] = draft[field];
      else if (field === "monthlyEventQuota") {
        if (draft.monthlyEventQuota.trim() === "") input.clearMonthlyEventQuota = true;
        else input.monthlyEventQuota = Number(draft.monthlyEventQuota);
      } else input[field] = splitList(draft[field], /[\n,]+/);
    }
    const result = await update({ input });
    const found = problems(result, result.data?.updateProjectSettings);
    setErrors(found);
    setSaved(found.length === 0);
  }
  return { draft, setDraft, errors, setErrors, saved, dirty, fetching, save };
}

export function ScrubbingSettings({
  org,
  project,
  settings,
  writable,
  why,
}: SectionProps) {
  const form = useSettingsForm(org, project, settings);
  const { draft, setDraft } = form;
  const disabled = !writable || form.fetching;
  return (
    <section className="card" id="scrubbing">
      <div className="card-header">
        <h2>Data scrubbing</h2>
        <span className="muted small">applied at ingest, before anything is stored</span>
      </div>
      <form
        className="pad form"
        onSubmit={(e) => {
          e.preventDefault();
          form.save(["scrubData", "scrubIpAddresses", "sensitiveFields", "safeFields", "allowedOrigins"]);
        }}
      >
        <label className="check" title={why}>
          <input type="checkbox" checked={draft.scrubData} disabled={disabled} onChange={(e) => setDraft({ ...draft, scrubData: e.target.checked })} />
          <span>
            <b>Scrub sensitive data</b>
            <span className="muted small block">Passwords, secrets, tokens, auth headers, cookies, card numbers and IBANs become [Filtered].</span>
          </span>
        </label>
        <label className="check" title={why}>
          <input
            type="checkbox"
            checked={draft.scrubIpAddresses}
            disabled={disabled}
            onChange={(e) => setDraft({ ...draft, scrubIpAddresses: e.target.checked })}
          />
          <span>
            <b>Scrub IP addresses</b>
            <span className="muted small block">Drop users' and requests' client IP addresses.</span>
          </span>
        </label>
        <div className="form-grid">
          <label>
            <span className="field-label">Additional sensitive fields</span>
            <textarea
              rows={3}
              value={draft.sensitiveFields}
              disabled={disabled}
              placeholder="one field name per line"
              onChange={(e) => setDraft({ ...draft, sensitiveFields: e.target.value })}
            />
          </label>
          <label>
            <span className="field-label">Safe fields (never scrubbed)</span>
            <textarea
              rows={3}
              value={draft.safeFields}
              disabled={disabled}
              placeholder="one field name per line"
              onChange={(e) => setDraft({ ...draft, safeFields: e.target.value })}
            />
          </label>
          <label>
            <span className="field-label">Allowed browser origins</span>
            <textarea
              rows={3}
              value={draft.allowedOrigins}
              disabled={disabled}
              placeholder="empty: any origin"
              onChange={(e) => setDraft({ ...draft, allowedOrigins: e.target.value })}
            />
          </label>
        </div>
        <ErrorBox userErrors={form.errors} onDismiss={() => form.setErrors([])} />
        <div className="form-actions">
          {form.saved && !form.dirty && <span className="saved">Saved</span>}
          <button type="submit" className="btn btn-primary" disabled={disabled || !form.dirty} title={why}>
            Save scrubbing settings
          </button>
        </div>
      </form>
    </section>
  );
}

export function QuotaSettings({
  org,
  project,
  settings,
  writable,
  why,
}: SectionProps) {
  const form = useSettingsForm(org, project, settings);
  const disabled = !writable || form.fetching;
  return (
    <section className="card" id="quota">
      <div className="card-header">
        <h2>Quota</h2>
        <span className="muted small">events beyond it are answered 429 until the month ends</span>
      </div>
      <form
        className="pad form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          form.save(["monthlyEventQuota"]);
        }}
      >
        <label>
          <span className="field-label">Events per month</span>
          <input
            type="number"
            min={0}
            className="num-input wide"
            placeholder="unlimited"
            value={form.draft.monthlyEventQuota}
            disabled={disabled}
            title={why}
            onChange={(e) => form.setDraft({ ...form.draft, monthlyEventQuota: e.target.value })}
          />
        </label>
        <button type="submit" className="btn btn-primary" disabled={disabled || !form.dirty} title={why}>
          Save quota
        </button>
        {form.saved && !form.dirty && <span className="saved">Saved</span>}
      </form>
      <div className="pad-x">
        <ErrorBox userErrors={form.errors} onDismiss={() => form.setErrors([])} />
      </div>
    </section>
  );
}
