// The alert rule editor's state and its translation to and from the GraphQL API's shapes
// (CreateAlertRuleInput / AlertRule). Checks nothing the server checks: its userErrors are shown.
import type { AlertChannelKind, AlertConditionKind, CreateAlertRuleInput } from "../gql/graphql";

export const CONDITION_KINDS: { kind: AlertConditionKind; label: string; frequency: boolean }[] = [
  { kind: "NEW_ISSUE", label: "A new issue is created", frequency: false },
  { kind: "REGRESSION", label: "A resolved issue regresses", frequency: false },
  { kind: "ESCALATION", label: "An ignored issue escalates", frequency: false },
  { kind: "EVENT_FREQUENCY", label: "An issue is seen more than", frequency: true },
  { kind: "USER_FREQUENCY", label: "More distinct users than", frequency: true },
  { kind: "MONITOR_MISSED", label: "A cron monitor misses a check-in", frequency: false },
  { kind: "MONITOR_TIMED_OUT", label: "A cron monitor's run times out", frequency: false },
  { kind: "MONITOR_FAILED", label: "A cron monitor's run fails (status error)", frequency: false },
];

export const LEVELS = ["fatal", "error", "warning", "info", "debug"] as const;

export const CHANNEL_KINDS: { kind: AlertChannelKind; label: string }[] = [
  { kind: "EMAIL", label: "E-mail" },
  { kind: "SLACK", label: "Slack" },
  { kind: "WEBHOOK", label: "Webhook" },
];

export interface ConditionForm {
  on: boolean;
  threshold: string;
  windowMinutes: string;
}

export interface ChannelForm {
  kind: AlertChannelKind;
  /** EMAIL: addresses, separated by commas, spaces or lines. */
  emails: string;
  url: string;
  webhookId: string;
}

export interface RuleForm {
  name: string;
  conditions: Record<AlertConditionKind, ConditionForm>;
  levels: string[];
  environment: string;
  release: string;
  /** `key:value` filters, one per line or separated by commas. */
  tags: string;
  query: string;
  /** Monitor slugs the monitor conditions look at, separated by commas, spaces or lines (empty: any). */
  monitorSlugs: string;
  actionIntervalMinutes: string;
  channels: ChannelForm[];
  enabled: boolean;
}

export interface RuleLike {
  name: string;
  conditions: readonly { kind: AlertConditionKind; threshold?: number | null; windowMinutes?: number | null }[];
  filters: { levels: readonly string[]; environment?: string | null; release?: string | null; tags: readonly string[]; query: string; monitorSlugs: readonly string[] };
  actionIntervalMinutes: number;
  channels: readonly { kind: AlertChannelKind; emails: readonly string[]; url?: string | null; webhookId?: string | null }[];
  enabled: boolean;
}

function noConditions(): Record<AlertConditionKind, ConditionForm> {
  return Object.fromEntries(CONDITION_KINDS.map((c) => [c.kind, { on: false, threshold: "", windowMinutes: "" }])) as Record<
    AlertConditionKind,
    ConditionForm
  >;
}

export function emptyChannel(kind: AlertChannelKind = "EMAIL"): ChannelForm {
  return { kind, emails: "", url: "", webhookId: "" };
}

export function emptyRuleForm(): RuleForm {
  const conditions = noConditions();
  conditions.NEW_ISSUE.on = true;
  return {
    name: "",
    conditions,
    levels: [],
    environment: "",
    release: "",
    tags: "",
    query: "",
    monitorSlugs: "",
    actionIntervalMinutes: "60",
    channels: [emptyChannel()],
    enabled: true,
  };
}

export function ruleToForm(rule: RuleLike): RuleForm {
  const conditions = noConditions();
  for (const c of rule.conditions) {
    conditions[c.kind] = { on: true, threshold: c.threshold?.toString() ?? "", windowMinutes: c.windowMinutes?.toString() ?? "" };
  }
  return {
    name: rule.name,
    conditions,
    levels: [...rule.filters.levels],
    environment: rule.filters.environment ?? "",
    release: rule.filters.release ?? "",
    tags: rule.filters.tags.join("\n"),
    query: rule.filters.query,
    monitorSlugs: rule.filters.monitorSlugs.join(", "),
    actionIntervalMinutes: String(rule.actionIntervalMinutes),
    channels: rule.channels.map((c) => ({ kind: c.kind, emails: c.emails.join(", "), url: c.url ?? "", webhookId: c.webhookId ?? "" })),
    enabled: rule.enabled,
  };
}

export function splitList(text: string, separators: RegExp = /[\s,;]+/): string[] {
  return text
    .split(separators)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An integer field: empty is null (the server says what is missing); anything else as typed. */
export function toInt(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const n = Number(trimmed);
  return Number.isInteger(n) ? n : null;
}

export function formToInput(form: RuleForm): Omit<CreateAlertRuleInput, "projectId"> {
  const frequency = new Set(CONDITION_KINDS.filter((c) => c.frequency).map((c) => c.kind));
  return {
    name: form.name.trim(),
    conditions: CONDITION_KINDS.filter((c) => form.conditions[c.kind].on).map(({ kind }) =>
      frequency.has(kind)
        ? { kind, threshold: toInt(form.conditions[kind].threshold), windowMinutes: toInt(form.conditions[kind].windowMinutes) }
        : { kind },
    ),
    filters: {
      levels: LEVELS.filter((l) => form.levels.includes(l)),
      environment: form.environment.trim() || null,
      release: form.release.trim() || null,
      tags: splitList(form.tags, /[\n,]+/),
      query: form.query.trim(),
      monitorSlugs: splitList(form.monitorSlugs),
    },
    // An unreadable interval goes to the server as 0, which it refuses, naming the field.
    actionIntervalMinutes: toInt(form.actionIntervalMinutes) ?? 0,
    channels: form.channels.map((c) =>
      c.kind === "EMAIL"
        ? { kind: c.kind, emails: splitList(c.emails) }
        : c.kind === "SLACK"
          ? { kind: c.kind, url: c.url.trim() }
          : { kind: c.kind, webhookId: c.webhookId || null },
    ),
    enabled: form.enabled,
  };
}

export function describeCondition(c: { kind: AlertConditionKind; threshold?: number | null; windowMinutes?: number | null }): string {
  switch (c.kind) {
    case "NEW_ISSUE":
      return "a new issue";
    case "REGRESSION":
      return "a regression";
    case "ESCALATION":
      return "an escalation";
    case "EVENT_FREQUENCY":
      return `more than ${c.threshold} events in ${c.windowMinutes} min`;
    case "USER_FREQUENCY":
      return `more than ${c.threshold} users in ${c.windowMinutes} min`;
    case "MONITOR_MISSED":
      return "a missed check-in";
    case "MONITOR_TIMED_OUT":
      return "a monitor run timing out";
    case "MONITOR_FAILED":
      return "a failed monitor run";
  }
}

export function describeInterval(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}
