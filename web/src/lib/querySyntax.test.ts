import { describe, expect, it } from "vitest";
import { applyCompletion, completions, errorToken, lex } from "./querySyntax";

describe("lex", () => {
  it("splits filters, negations, quoted values and free text, losing nothing", () => {
    const query = 'is:unresolved !level:info browser:"Mobile Safari" timeout "card declined"';
    const spans = lex(query);
    expect(spans.map((s) => s.text).join("")).toBe(query);
    expect(spans.filter((s) => s.kind !== "space").map((s) => [s.kind, s.text])).toEqual([
      ["key", "is:"],
      ["value", "unresolved"],
      ["negation", "!"],
      ["key", "level:"],
      ["value", "info"],
      ["key", "browser:"],
      ["value", '"Mobile Safari"'],
      ["text", "timeout"],
      ["text", '"card declined"'],
    ]);
  });

  it("keeps escaped quotes inside a quoted value and tolerates an unterminated one", () => {
    expect(lex('message:"say \\"hi\\"" x').map((s) => s.text)).toEqual(["message:", '"say \\"hi\\""', " ", "x"]);
    expect(lex('key:"open').map((s) => [s.kind, s.text])).toEqual([
      ["key", "key:"],
      ["value", '"open'],
    ]);
  });

  it("treats a word with an invalid key or a bare ! as text", () => {
    expect(lex("a/b:c").map((s) => s.kind)).toEqual(["text"]);
    expect(lex("!word").map((s) => s.kind)).toEqual(["text"]);
  });
});

describe("errorToken", () => {
  it("finds the token the server names, in either quote style", () => {
    expect(errorToken("invalid search term 'is:sleeping': unknown status 'sleeping'; use one of unresolved")).toEqual({
      token: "is:sleeping",
      reason: "unknown status 'sleeping'; use one of unresolved",
    });
    expect(errorToken(`invalid search term "it's:x": empty value`)).toEqual({ token: "it's:x", reason: "empty value" });
    expect(errorToken("authentication required")).toBeNull();
  });
});

describe("completions", () => {
  it("completes keys and the values of is: and level:, keeping a negation", () => {
    expect(completions("lev", 3)).toEqual(["level:"]);
    expect(completions("is:un", 5)).toEqual(["is:unresolved", "is:unassigned"]);
    expect(completions("!level:w", 8)).toEqual(["!level:warning"]);
    expect(completions("release:1", 9)).toEqual([]);
    expect(completions("", 0)).toEqual([]);
  });

  it("replaces only the word under the caret", () => {
    expect(applyCompletion("is:unresolved lev timeout", 17, "level:")).toEqual({
      query: "is:unresolved level: timeout",
      caret: 20,
    });
    expect(applyCompletion("is:unr", 6, "is:unresolved")).toEqual({ query: "is:unresolved ", caret: 14 });
  });
});
