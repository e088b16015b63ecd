import { describe, expect, it } from "vitest";
import { crashFree, crashFreeByRelease, lastDays, outcomeDays, outcomeTotals, percent } from "./health";

const s = (release: string, status: string, quantity: number) => ({ day: "2026-12-01", release, environment: "production", status, quantity });

describe("crashFree", () => {
  it("counts ended sessions and leaves running ones out", () => {
    const health = crashFree([s("a", "ok", 50), s("a", "exited", 90), s("a", "errored", 6), s("a", "crashed", 3), s("a", "abnormal", 1)]);
    expect(health).toEqual({ total: 100, crashed: 3, abnormal: 1, errored: 6, rate: 0.97 });
  });

  it("has no rate without ended sessions", () => {
    expect(crashFree([]).rate).toBeNull();
    expect(crashFree([s("a", "ok", 4)]).rate).toBeNull();
  });

  it("groups by release, most sessions first, skipping releases without ended sessions", () => {
    const rows = crashFreeByRelease([s("web@1", "exited", 3), s("web@2", "exited", 9), s("web@2", "crashed", 1), s("web@3", "ok", 5)]);
    expect(rows.map((r) => [r.release, r.health.total, r.health.rate])).toEqual([
      ["web@2", 10, 0.9],
      ["web@1", 3, 1],
    ]);
  });
});

describe("percent", () => {
  it("never rounds a crash up to 100 %", () => {
    expect(percent(1)).toBe("100 %");
    expect(percent(0.99996)).toBe("99.99 %");
    expect(percent(0.29)).toBe("29.00 %");
    expect(percent(2 / 3)).toBe("66.66 %");
    expect(percent(null)).toBe("—");
  });
});

describe("outcomes", () => {
  const now = new Date("2026-12-02T13:00:00Z");
  const usage = [
    { day: "2026-12-02", category: "error", outcome: "accepted", reason: "", quantity: 7 },
    { day: "2026-12-02", category: "error", outcome: "rate_limited", reason: "key_rate_limit", quantity: 3 },
    { day: "2026-12-01", category: "error", outcome: "rate_limited", reason: "quota", quantity: 4 },
    { day: "2026-12-01", category: "error", outcome: "client_discard", reason: "queue_overflow", quantity: 1 },
    { day: "2026-12-01", category: "transaction", outcome: "accepted", reason: "", quantity: 20 },
    { day: "2026-10-01", category: "error", outcome: "accepted", reason: "", quantity: 99 },
  ];

  it("lists the last days in UTC, oldest first", () => {
    expect(lastDays(3, now)).toEqual(["2026-11-30", "2026-12-01", "2026-12-02"]);
  });

  it("zero-fills one category per day and ignores days outside the window", () => {
    expect(outcomeDays(usage, "error", 3, now)).toEqual([
      { day: "2026-11-30", accepted: 0, rateLimited: 0, dropped: 0 },
      { day: "2026-12-01", accepted: 0, rateLimited: 4, dropped: 1 },
      { day: "2026-12-02", accepted: 7, rateLimited: 3, dropped: 0 },
    ]);
  });

  it("totals per category with the refusals' reasons, biggest first", () => {
    const [errors, transactions] = outcomeTotals(usage);
    expect(errors).toEqual({
      category: "error",
      accepted: 106,
      rateLimited: 7,
      dropped: 1,
      reasons: [
        { reason: "rate_limited: quota", quantity: 4 },
        { reason: "rate_limited: key_rate_limit", quantity: 3 },
        { reason: "client_discard: queue_overflow", quantity: 1 },
      ],
    });
    expect(transactions).toMatchObject({ category: "transaction", accepted: 20, reasons: [] });
  });
});
