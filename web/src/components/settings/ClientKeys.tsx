// Project settings, "Client keys": the DSN with a copy button and an SDK snippet, and each DSN
// key's state and rate limits (updateProjectKey).
import { useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../../gql";
import { problems, type Problem } from "../../lib/problems";
import { sdkSnippet } from "../../lib/snippet";
import { CopyButton } from "../CopyButton";
import { ErrorBox } from "../ErrorBox";

const UpdateProjectKeyDocument = graphql(`
  mutation UpdateProjectKey($input: UpdateProjectKeyInput!) {
    updateProjectKey(input: $input) {
      project {
        id
        keys {
          publicKey
          dsn
          isActive
          rateLimitPerSecond
          rateLimitPerMinute
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

export interface KeyRow {
  publicKey: string;
  dsn: string;
  isActive: boolean;
  rateLimitPerSecond?: number | null;
  rateLimitPerMinute?: number | null;
}

const SNIPPET_PLATFORMS = [
  { value: "python", label: "Python" },
  { value: "javascript", label: "Browser JavaScript" },
  { value: "node", label: "Node.js" },
  { value: "go", label: "Go" },
];

export function ClientKeys({
  org,
  project,
  dsn,
  platform,
  keys,
  writable,
  why,
}: {
  org: string;
  project: string;
  dsn: string;
  platform: string | null | undefined;
  keys: readonly KeyRow[];
  writable: boolean;
  why?: string;
}) {
  const initial = SNIPPET_PLATFORMS.find((p) => (platform ?? "").toLowerCase().startsWith(p.value))?.value ?? "python";
  const [language, setLanguage] = useState(initial);
  const snippet = sdkSnippet(language, dsn);
  return (
    <section className="card" id="keys">
      <div className="card-header">
        <h2>Client keys (DSN)</h2>
      </div>
      <div className="pad">
        <label className="field-label" htmlFor="dsn">
          DSN
        </label>
        <div className="copy-row">
          <input id="dsn" className="mono-input" type="text" readOnly value={dsn} onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={dsn} label="Copy DSN" />
        </div>
        <div className="snippet-head">
          <span className="field-label">Configure the SDK</span>
          <select className="btn btn-small" aria-label="SDK" value={language} onChange={(e) => setLanguage(e.target.value)}>
            {SNIPPET_PLATFORMS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        <pre className="snippet">
          <span className="muted">$ {snippet.install}</span>
          {"\n\n"}
          {snippet.code}
        </pre>
        <div className="snippet-actions">
          <CopyButton text={snippet.code} label="Copy snippet" />
        </div>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Key</th>
            <th>Status</th>
            <th>Events per second</th>
            <th>Events per minute</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <KeyLimits key={key.publicKey} org={org} project={project} row={key} writable={writable} why={why} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface Limits {
  perSecond: string;
  perMinute: string;
}

function limitsOf(key: Pick<KeyRow, "rateLimitPerSecond" | "rateLimitPerMinute">): Limits {
  return { perSecond: key.rateLimitPerSecond?.toString() ?? "", perMinute: key.rateLimitPerMinute?.toString() ?? "" };
}

function KeyLimits({ org, project, row, writable, why }: { org: string; project: string; row: KeyRow; writable: boolean; why?: string }) {
  const [perSecond, setPerSecond] = useState(row.rateLimitPerSecond?.toString() ?? "");
  const [perMinute, setPerMinute] = useState(row.rateLimitPerMinute?.toString() ?? "");
  const [errors, setErrors] = useState<Problem[]>([]);
  const [saved, setSaved] = useState(false);
  // The switch shows the state asked for until the refetched key shows the stored one.
  const [pendingActive, setPendingActive] = useState<boolean | null>(null);
  // The limits the server last confirmed, from a mutation's own answer. The list's refetches
  // after two quick mutations (clear, then set) may arrive out of order, so a stale row must not
  // decide whether the form still differs from what is stored.
  const [confirmed, setConfirmed] = useState<Limits | null>(null);
  const [{ fetching }, update] = useMutation(UpdateProjectKeyDocument);
  const base = { organizationSlug: org, projectSlug: project, publicKey: row.publicKey };
  const stored = confirmed ?? limitsOf(row);
  const dirty = perSecond !== stored.perSecond || perMinute !== stored.perMinute;

  async function run(input: Omit<Parameters<typeof update>[0]["input"], keyof typeof base>): Promise<boolean> {
    const result = await update({ input: { ...base, ...input } });
    const found = problems(result, result.data?.updateProjectKey);
    setErrors(found);
    const key = result.data?.updateProjectKey.project?.keys.find((k) => k.publicKey === row.publicKey);
    if (found.length === 0 && key) setConfirmed(limitsOf(key));
    return found.length === 0;
  }

  async function save() {
    setSaved(false);
    const second = perSecond.trim() === "" ? null : Number(perSecond);
    const minute = perMinute.trim() === "" ? null : Number(perMinute);
    // null means "unchanged" to the API: a limit emptied here is cleared first (both go), then
    // the one still given is set again.
    const clearing = (second === null && row.rateLimitPerSecond != null) || (minute === null && row.rateLimitPerMinute != null);
    if (clearing && !(await run({ clearRateLimits: true }))) return;
    if (second !== null || minute !== null) {
      if (!(await run({ rateLimitPerSecond: second, rateLimitPerMinute: minute }))) return;
    }
    setSaved(true);
  }

  return (
    <>
      <tr>
        <td className="mono small" title={row.dsn}>
          {row.publicKey}
        </td>
        <td>
          <label className="switch" title={why}>
            <input
              type="checkbox"
              checked={pendingActive ?? row.isActive}
              disabled={!writable || fetching}
              aria-label={`Key ${row.publicKey} enabled`}
              onChange={async (e) => {
                setPendingActive(e.target.checked);
                await run({ isActive: e.target.checked });
                setPendingActive(null);
              }}
            />
            <span>{(pendingActive ?? row.isActive) ? "enabled" : "disabled"}</span>
          </label>
        </td>
        <td>
          <LimitInput label={`Events per second for key ${row.publicKey}`} value={perSecond} onChange={setPerSecond} disabled={!writable} why={why} />
        </td>
        <td>
          <LimitInput label={`Events per minute for key ${row.publicKey}`} value={perMinute} onChange={setPerMinute} disabled={!writable} why={why} />
        </td>
        <td className="actions">
          {saved && !dirty && <span className="saved">Saved</span>}
          <button className="btn btn-small btn-primary" disabled={!writable || fetching || !dirty} title={why} onClick={save}>
            Save limits
          </button>
        </td>
      </tr>
      {errors.length > 0 && (
        <tr>
          <td colSpan={5}>
            <ErrorBox userErrors={errors} onDismiss={() => setErrors([])} />
          </td>
        </tr>
      )}
    </>
  );
}

function LimitInput({
  label,
  value,
  onChange,
  disabled,
  why,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  disabled: boolean;
  why?: string;
}) {
  return (
    <input
      type="number"
      min={1}
      className="num-input"
      placeholder="no limit"
      aria-label={label}
      value={value}
      disabled={disabled}
      title={why}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
