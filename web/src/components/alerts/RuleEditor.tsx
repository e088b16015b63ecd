// The alert rule form: name, conditions (any fires), filters (all must hold), the action
// interval, channels and whether it is enabled. It submits what was typed; the server validates
// and its userErrors are shown above the buttons.
import { useState } from "react";
import type { AlertChannelKind } from "../../gql/graphql";
import { CHANNEL_KINDS, CONDITION_KINDS, emptyChannel, LEVELS, type ChannelForm, type RuleForm } from "../../lib/alertForm";
import type { Problem } from "../../lib/problems";
import { ErrorBox } from "../ErrorBox";

export interface WebhookOption {
  id: string;
  url: string;
  description: string;
  isActive: boolean;
}

export function RuleEditor({
  initial,
  webhooks,
  title,
  submitLabel,
  busy,
  errors,
  onDismissErrors,
  onSubmit,
  onCancel,
}: {
  initial: RuleForm;
  webhooks: readonly WebhookOption[];
  title: string;
  submitLabel: string;
  busy: boolean;
  errors: readonly Problem[];
  onDismissErrors: () => void;
  onSubmit: (form: RuleForm) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<RuleForm>(initial);
  const setChannel = (i: number, channel: ChannelForm) => setForm({ ...form, channels: form.channels.map((c, j) => (j === i ? channel : c)) });
  return (
    <form
      className="card rule-editor"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(form);
      }}
    >
      <div className="card-header">
        <h2>{title}</h2>
      </div>
      <div className="pad form">
        <div className="form-grid two">
          <label>
            <span className="field-label">Name</span>
            <input type="text" value={form.name} placeholder="Checkout errors to on-call" onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label>
            <span className="field-label">At most one notification per issue every (minutes)</span>
            <input type="number" min={1} className="num-input wide" value={form.actionIntervalMinutes} onChange={(e) => setForm({ ...form, actionIntervalMinutes: e.target.value })} />
          </label>
        </div>

        <fieldset className="group">
          <legend>When any of these happens</legend>
          {CONDITION_KINDS.map(({ kind, label, frequency }) => {
            const c = form.conditions[kind];
            const set = (change: Partial<typeof c>) => setForm({ ...form, conditions: { ...form.conditions, [kind]: { ...c, ...change } } });
            return (
              <div key={kind} className="condition">
                <label className="check-inline">
                  <input type="checkbox" checked={c.on} onChange={(e) => set({ on: e.target.checked })} />
                  {label}
                </label>
                {frequency && (
                  <>
                    <input
                      type="number"
                      min={0}
                      className="num-input"
                      aria-label={`${kind} threshold`}
                      value={c.threshold}
                      disabled={!c.on}
                      onChange={(e) => set({ threshold: e.target.value })}
                    />
                    <span>{kind === "EVENT_FREQUENCY" ? "times in" : "see an issue in"}</span>
                    <input
                      type="number"
                      min={1}
                      className="num-input"
                      aria-label={`${kind} window in minutes`}
                      value={c.windowMinutes}
                      disabled={!c.on}
                      onChange={(e) => set({ windowMinutes: e.target.value })}
                    />
                    <span>minutes</span>
                  </>
                )}
              </div>
            );
          })}
        </fieldset>

        <fieldset className="group">
          <legend>Only if all of these hold</legend>
          <div className="condition">
            <span className="field-label inline">Levels</span>
            {LEVELS.map((level) => (
              <label key={level} className="check-inline">
                <input
                  type="checkbox"
                  checked={form.levels.includes(level)}
                  onChange={(e) => setForm({ ...form, levels: e.target.checked ? [...form.levels, level] : form.levels.filter((l) => l !== level) })}
                />
                {level}
              </label>
            ))}
            <span className="muted small">none checked: any level</span>
          </div>
          <div className="form-grid">
            <label>
              <span className="field-label">Environment</span>
              <input type="text" value={form.environment} placeholder="any (prod* matches)" onChange={(e) => setForm({ ...form, environment: e.target.value })} />
            </label>
            <label>
              <span className="field-label">Release</span>
              <input type="text" value={form.release} placeholder="any (web@2.* matches)" onChange={(e) => setForm({ ...form, release: e.target.value })} />
            </label>
            <label>
              <span className="field-label">Tags (key:value, one per line)</span>
              <textarea rows={2} value={form.tags} placeholder="browser:Firefox" onChange={(e) => setForm({ ...form, tags: e.target.value })} />
            </label>
          </div>
          <label>
            <span className="field-label">Issue search</span>
            <input type="text" className="mono-input" value={form.query} placeholder="is:unresolved level:error checkout" onChange={(e) => setForm({ ...form, query: e.target.value })} />
          </label>
          <label>
            <span className="field-label">Monitors (slugs; empty: any, for the monitor conditions)</span>
            <input type="text" className="mono-input" value={form.monitorSlugs} placeholder="nightly-backup, billing-sync" onChange={(e) => setForm({ ...form, monitorSlugs: e.target.value })} />
          </label>
        </fieldset>

        <fieldset className="group">
          <legend>Then notify</legend>
          {form.channels.length === 0 && <p className="muted small">No channel: nobody would be told.</p>}
          {form.channels.map((channel, i) => (
            <div key={i} className="channel">
              <select
                className="btn"
                aria-label={`Channel ${i + 1} kind`}
                value={channel.kind}
                onChange={(e) => setChannel(i, { ...emptyChannel(e.target.value as AlertChannelKind) })}
              >
                {CHANNEL_KINDS.map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
              </select>
              {channel.kind === "EMAIL" && (
                <input
                  type="text"
                  aria-label={`Channel ${i + 1} e-mail addresses`}
                  placeholder="oncall@example.com, dev@example.com"
                  value={channel.emails}
                  onChange={(e) => setChannel(i, { ...channel, emails: e.target.value })}
                />
              )}
              {channel.kind === "SLACK" && (
                <input
                  type="text"
                  aria-label={`Channel ${i + 1} Slack webhook URL`}
                  placeholder="https://hooks.slack.com/services/…"
                  value={channel.url}
                  onChange={(e) => setChannel(i, { ...channel, url: e.target.value })}
                />
              )}
              {channel.kind === "WEBHOOK" && (
                <select
                  className="btn"
                  aria-label={`Channel ${i + 1} webhook`}
                  value={channel.webhookId}
                  onChange={(e) => setChannel(i, { ...channel, webhookId: e.target.value })}
                >
                  <option value="">{webhooks.length ? "Choose a webhook…" : "No webhooks: add one in the settings"}</option>
                  {webhooks.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.url}
                      {w.description ? ` (${w.description})` : ""}
                      {w.isActive ? "" : " (paused)"}
                    </option>
                  ))}
                </select>
              )}
              <button type="button" className="btn btn-small" aria-label={`Remove channel ${i + 1}`} onClick={() => setForm({ ...form, channels: form.channels.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="btn btn-small" onClick={() => setForm({ ...form, channels: [...form.channels, emptyChannel()] })}>
            + Add a channel
          </button>
        </fieldset>

        <label className="check-inline">
          <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} />
          Enabled
        </label>

        <ErrorBox userErrors={errors} onDismiss={onDismissErrors} />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </div>
    </form>
  );
}
