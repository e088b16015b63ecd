import { describe, expect, it } from "vitest";
import { describeCondition, describeInterval, emptyRuleForm, formToInput, ruleToForm, splitList, toInt, type RuleLike } from "./alertForm";

const rule: RuleLike = {
  name: "Checkout",
  conditions: [{ kind: "NEW_ISSUE" }, { kind: "EVENT_FREQUENCY", threshold: 100, windowMinutes: 60 }],
  filters: { levels: ["error", "fatal"], environment: "prod*", release: null, tags: ["browser:Firefox", "region:eu"], query: "is:unresolved checkout", monitorSlugs: [] },
  actionIntervalMinutes: 30,
  channels: [
    { kind: "EMAIL", emails: ["a@example.com", "b@example.com"] },
    { kind: "SLACK", emails: [], url: "https://hooks.slack.com/x" },
    { kind: "WEBHOOK", emails: [], webhookId: "V2ViaG9vazox" },
  ],
  enabled: false,
};

describe("alert rule form", () => {
  it("round-trips a rule through the form to the API's input", () => {
    expect(formToInput(ruleToForm(rule))).toEqual({
      name: "Checkout",
      conditions: [{ kind: "NEW_ISSUE" }, { kind: "EVENT_FREQUENCY", threshold: 100, windowMinutes: 60 }],
      // Levels in the form's order, whatever order they were checked in.
      filters: { levels: ["fatal", "error"], environment: "prod*", release: null, tags: ["browser:Firefox", "region:eu"], query: "is:unresolved checkout", monitorSlugs: [] },
      actionIntervalMinutes: 30,
      channels: [
        { kind: "EMAIL", emails: ["a@example.com", "b@example.com"] },
        { kind: "SLACK", url: "https://hooks.slack.com/x" },
        { kind: "WEBHOOK", webhookId: "V2ViaG9vazox" },
      ],
      enabled: false,
    });
  });

  it("starts as a new-issue rule with one e-mail channel", () => {
    const input = formToInput({ ...emptyRuleForm(), name: " New ", channels: [{ kind: "EMAIL", emails: "x@example.com;\ny@example.com", url: "", webhookId: "" }] });
    expect(input.name).toBe("New");
    expect(input.conditions).toEqual([{ kind: "NEW_ISSUE" }]);
    expect(input.channels).toEqual([{ kind: "EMAIL", emails: ["x@example.com", "y@example.com"] }]);
    expect(input.actionIntervalMinutes).toBe(60);
  });

  it("leaves missing numbers for the server to name", () => {
    const form = emptyRuleForm();
    form.conditions.USER_FREQUENCY = { on: true, threshold: "", windowMinutes: "1.5" };
    form.actionIntervalMinutes = "";
    const input = formToInput(form);
    expect(input.conditions).toContainEqual({ kind: "USER_FREQUENCY", threshold: null, windowMinutes: null });
    expect(input.actionIntervalMinutes).toBe(0);
  });

  it("sends the monitor conditions with the monitors they look at", () => {
    const form = emptyRuleForm();
    form.conditions.NEW_ISSUE.on = false;
    form.conditions.MONITOR_MISSED.on = true;
    form.conditions.MONITOR_FAILED.on = true;
    form.monitorSlugs = " nightly-backup,\nbilling-sync ";
    const input = formToInput(form);
    expect(input.conditions).toEqual([{ kind: "MONITOR_MISSED" }, { kind: "MONITOR_FAILED" }]);
    expect(input.filters?.monitorSlugs).toEqual(["nightly-backup", "billing-sync"]);
    expect(ruleToForm({ ...rule, filters: { ...rule.filters, monitorSlugs: ["a", "b"] } }).monitorSlugs).toBe("a, b");
    expect(describeCondition({ kind: "MONITOR_TIMED_OUT" })).toBe("a monitor run timing out");
  });

  it("splits lists and reads integers", () => {
    expect(splitList(" a, b ,,c\nd ")).toEqual(["a", "b", "c", "d"]);
    expect(splitList("url:https://x/y z\n", /[\n,]+/)).toEqual(["url:https://x/y z"]);
    expect([toInt(" 42 "), toInt(""), toInt("4.2"), toInt("x")]).toEqual([42, null, null, null]);
  });

  it("describes conditions and intervals", () => {
    expect(describeCondition({ kind: "EVENT_FREQUENCY", threshold: 10, windowMinutes: 5 })).toBe("more than 10 events in 5 min");
    expect(describeCondition({ kind: "REGRESSION" })).toBe("a regression");
    expect([describeInterval(30), describeInterval(120), describeInterval(2880)]).toEqual(["30 min", "2 h", "2 d"]);
  });
});
