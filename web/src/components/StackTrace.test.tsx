import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { exceptionsOf, StackTrace, type ExceptionValue } from "./StackTrace";

// The shape the Python SDK sends for `raise RuntimeError(...) from ValueError(...)`: the cause
// first, each stack oldest call first.
const chained: ExceptionValue[] = [
  {
    type: "ValueError",
    value: "invalid literal for int() with base 10: 'abc'",
    mechanism: { type: "generic", handled: true },
    stacktrace: {
      frames: [
        {
          filename: "shop/checkout.py",
          function: "parse_total",
          lineno: 18,
          in_app: true,
          pre_context: ["def parse_total(raw):", "    cleaned = raw.strip()"],
          context_line: "    return int(cleaned)",
          post_context: [""],
          vars: { raw: "' abc'", cleaned: "'abc'" },
        },
      ],
    },
  },
  {
    type: "RuntimeError",
    value: "checkout failed",
    mechanism: { type: "generic", handled: false },
    stacktrace: {
      frames: [
        { filename: "flask/app.py", function: "dispatch_request", lineno: 880, in_app: false, context_line: "return view(**args)", vars: { self: "<Flask>" } },
        {
          filename: "shop/views.py",
          function: "checkout",
          lineno: 42,
          in_app: true,
          pre_context: ["def checkout(cart_total):"],
          context_line: '    raise RuntimeError("checkout failed") from e',
          post_context: [],
          vars: { cart_total: "99", discount: { code: "'X'" } },
        },
      ],
    },
  },
];

describe("StackTrace", () => {
  it("shows the last exception first, then the one it was raised from", () => {
    const { container } = render(<StackTrace exceptions={chained} />);
    const heads = [...container.querySelectorAll(".exception-head")].map((e) => e.textContent);
    expect(heads).toEqual(["RuntimeErrorcheckout failed", "ValueErrorinvalid literal for int() with base 10: 'abc'"]);
    expect(screen.getByText("The above exception was raised while handling:")).toBeTruthy();
    expect(screen.getByText("unhandled", { exact: false })).toBeTruthy();
  });

  it("expands in-app frames with the source line and local variables, hides library frames", () => {
    const { container } = render(<StackTrace exceptions={chained} />);
    const frames = [...container.querySelectorAll(".frame")];
    expect(frames.map((f) => f.querySelector(".frame-function")?.textContent)).toEqual(["checkout", "parse_total"]);
    const first = frames[0] as HTMLElement;
    expect(first.classList.contains("open")).toBe(true);
    expect(first.querySelector(".context .current")?.textContent).toContain('raise RuntimeError("checkout failed") from e');
    expect(first.querySelector(".context .current .lineno")?.textContent).toBe("42");
    const vars = within(first.querySelector(".vars") as HTMLElement);
    expect(vars.getByText("cart_total")).toBeTruthy();
    expect(vars.getByText("99")).toBeTruthy();
    expect(screen.getByText("1 library frames hidden")).toBeTruthy();
    expect(screen.queryByText("flask/app.py")).toBeNull();
  });

  it("shows library frames collapsed on request, and a click opens one", () => {
    const { container } = render(<StackTrace exceptions={chained} />);
    fireEvent.click(screen.getByLabelText("Show library frames"));
    const library = [...container.querySelectorAll(".frame")].find((f) => f.textContent?.includes("flask/app.py")) as HTMLElement;
    expect(library.classList.contains("open")).toBe(false);
    expect(library.querySelector(".vars")).toBeNull();
    fireEvent.click(within(library).getByRole("button"));
    expect(library.querySelector(".context .current")?.textContent).toContain("return view(**args)");
    expect(within(library).getByText("<Flask>")).toBeTruthy();
  });

  it("without in-app frames shows them all and opens the most recent call", () => {
    const frames = [
      { filename: "a.py", function: "outer", lineno: 1, context_line: "inner()" },
      { filename: "b.py", function: "inner", lineno: 2, context_line: "1 / 0", vars: { n: "0" } },
    ];
    const { container } = render(<StackTrace exceptions={[{ type: "ZeroDivisionError", value: "division by zero", stacktrace: { frames } }]} />);
    const shown = [...container.querySelectorAll(".frame")];
    expect(shown.map((f) => f.classList.contains("open"))).toEqual([true, false]);
    expect(shown[0].querySelector(".frame-function")?.textContent).toBe("inner");
  });

  it("reads exception values from a stored payload", () => {
    expect(exceptionsOf({ exception: { values: chained } })).toHaveLength(2);
    expect(exceptionsOf({ exception: chained })).toHaveLength(2);
    expect(exceptionsOf({ message: "hi" })).toEqual([]);
    expect(exceptionsOf(null)).toEqual([]);
  });
});
