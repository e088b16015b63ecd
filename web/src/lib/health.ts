// The project overview's arithmetic on what the API answers: crash-free rates from release-health
// session buckets, and accepted vs refused items per day from the usage buckets.

export interface SessionBucketLike {
  day: string;
  release: string;
  environment: string;
  status: string;
  quantity: number;
}

export interface CrashFree {
  /** Sessions that ended (exited, errored, crashed, abnormal). */
  total: number;
  crashed: number;
  abnormal: number;
  errored: number;
  /** 1 - crashed / total (Sentry's crash-free sessions), or null without ended sessions. */
  rate: number | null;
}

// An `ok` update is a session still running: counting it too would count each session that an
// SDK reports twice (its start and its end). Aggregated sessions arrive in the ended states only.
const ENDED = new Set(["exited", "errored", "crashed", "abnormal"]);

export function crashFree(buckets: readonly SessionBucketLike[]): CrashFree {
  const tally = { total: 0, crashed: 0, abnormal: 0, errored: 0 };
  for (const b of buckets) {
    if (!ENDED.has(b.status)) continue;
    tally.total += b.quantity;
    if (b.status === "crashed") tally.crashed += b.quantity;
    else if (b.status === "abnormal") tally.abnormal += b.quantity;
    else if (b.status === "errored") tally.errored += b.quantity;
  }
  return { ...tally, rate: tally.total ? 1 - tally.crashed / tally.total : null };
}

/** Crash-free rates per release, most sessions first. */
export function crashFreeByRelease(buckets: readonly SessionBucketLike[]): { release: string; health: CrashFree }[] {
  const byRelease = new Map<string, SessionBucketLike[]>();
  for (const b of buckets) {
    const list = byRelease.get(b.release) ?? [];
    list.push(b);
    byRelease.set(b.release, list);
  }
  return [...byRelease.entries()]
    .map(([release, list]) => ({ release, health: crashFree(list) }))
    .filter((r) => r.health.total > 0)
    .sort((a, b) => b.health.total - a.health.total || a.release.localeCompare(b.release));
}

/** A rate as a percentage that never rounds a crash away: 99.996 % shows 99.99 %, not 100 %. */
export function percent(rate: number | null): string {
  if (rate === null) return "—";
  // The epsilon undoes binary fractions (0.29 * 10000 = 2899.9999…), not real crashes.
  const value = Math.floor(rate * 10000 + 1e-6) / 100;
  return value === 100 ? "100 %" : `${value.toFixed(2)} %`;
}

export interface UsageBucketLike {
  day: string;
  category: string;
  outcome: string;
  reason: string;
  quantity: number;
}

export interface OutcomeDay {
  day: string;
  accepted: number;
  rateLimited: number;
  /** invalid, filtered, discarded by the SDK. */
  dropped: number;
}

/** The last `days` UTC days up to `now`, oldest first, as YYYY-MM-DD. */
export function lastDays(days: number, now: Date = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - i));
    out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

/** One category's outcomes per day over the last `days` days, zero-filled. */
export function outcomeDays(usage: readonly UsageBucketLike[], category: string, days: number, now: Date = new Date()): OutcomeDay[] {
  const series = new Map(lastDays(days, now).map((day) => [day, { day, accepted: 0, rateLimited: 0, dropped: 0 }]));
  for (const u of usage) {
    if (u.category !== category) continue;
    const row = series.get(u.day.slice(0, 10));
    if (!row) continue;
    if (u.outcome === "accepted") row.accepted += u.quantity;
    else if (u.outcome === "rate_limited") row.rateLimited += u.quantity;
    else row.dropped += u.quantity;
  }
  return [...series.values()];
}

export interface OutcomeTotal {
  category: string;
  accepted: number;
  rateLimited: number;
  dropped: number;
  /** The reasons of the refused items, biggest first: "quota (12), key_rate_limit (3)". */
  reasons: { reason: string; quantity: number }[];
}

export function outcomeTotals(usage: readonly UsageBucketLike[]): OutcomeTotal[] {
  const byCategory = new Map<string, OutcomeTotal & { reasonMap: Map<string, number> }>();
  for (const u of usage) {
    const row = byCategory.get(u.category) ?? { category: u.category, accepted: 0, rateLimited: 0, dropped: 0, reasons: [], reasonMap: new Map() };
    byCategory.set(u.category, row);
    if (u.outcome === "accepted") {
      row.accepted += u.quantity;
      continue;
    }
    if (u.outcome === "rate_limited") row.rateLimited += u.quantity;
    else row.dropped += u.quantity;
    const reason = u.reason ? `${u.outcome}: ${u.reason}` : u.outcome;
    row.reasonMap.set(reason, (row.reasonMap.get(reason) ?? 0) + u.quantity);
  }
  return [...byCategory.values()]
    .map(({ reasonMap, ...row }) => ({
      ...row,
      reasons: [...reasonMap.entries()].map(([reason, quantity]) => ({ reason, quantity })).sort((a, b) => b.quantity - a.quantity),
    }))
    .sort((a, b) => b.accepted + b.rateLimited + b.dropped - (a.accepted + a.rateLimited + a.dropped));
}
