import { describe, expect, it } from "vitest";
import { accessIn, can, lacking } from "./permissions";

const every = ["org:read", "org:write", "project:read", "project:write", "event:read", "event:write"];

describe("accessIn", () => {
  it("gives an organization token its own scopes and ownership", () => {
    const access = accessIn("ORGANIZATION", ["project:read", "project:write"], null);
    expect(can(access, "project:write")).toBe(true);
    expect(can(access, "org:write")).toBe(false);
    expect(access.owner).toBe(true);
  });

  it("narrows a personal token by the user's role", () => {
    const member = accessIn("PERSONAL", every, "member");
    expect(can(member, "project:read")).toBe(true);
    expect(can(member, "project:write")).toBe(false);
    expect(lacking(member, "project:write")).toBe("your role (member) lacks project:write");
    const admin = accessIn("PERSONAL", every, "admin");
    expect(can(admin, "project:write") && can(admin, "org:write")).toBe(true);
    expect(admin.owner).toBe(false);
    expect(accessIn("PERSONAL", every, "owner").owner).toBe(true);
  });

  it("never grants what the token itself lacks, and nothing without a role", () => {
    expect(can(accessIn("PERSONAL", ["project:read"], "owner"), "project:write")).toBe(false);
    expect(accessIn("PERSONAL", every, null).scopes.size).toBe(0);
    expect(can(null, "project:read")).toBe(false);
    expect(lacking(accessIn("ORGANIZATION", [], null), "org:write")).toBe("this token lacks org:write");
  });
});
