import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { SearchBox } from "./SearchBox";

describe("SearchBox", () => {
  it("submits the typed query on Enter", () => {
    const onSubmit = vi.fn();
    render(<SearchBox value="is:unresolved" onSubmit={onSubmit} />);
    const input = screen.getByLabelText("Search issues");
    fireEvent.change(input, { target: { value: "is:resolved  timeout " } });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(onSubmit).toHaveBeenCalledWith("is:resolved  timeout");
  });

  it("colours keys and values as they are typed", () => {
    const { container } = render(<SearchBox value="level:error boom" onSubmit={() => {}} />);
    expect(container.querySelector(".q-key")?.textContent).toBe("level:");
    expect(container.querySelector(".q-value")?.textContent).toBe("error");
    expect(container.querySelector(".q-text")?.textContent).toBe("boom");
  });

  it("shows the server's syntax error inline and marks the token at fault", () => {
    const error = "invalid search term 'is:sleeping': unknown status 'sleeping'; use one of unresolved, resolved";
    const { container } = render(<SearchBox value="level:error is:sleeping" onSubmit={() => {}} error={error} />);
    expect(screen.getByRole("alert").textContent).toBe("is:sleeping: unknown status 'sleeping'; use one of unresolved, resolved");
    expect([...container.querySelectorAll(".q-fault")].map((e) => e.textContent).join("")).toBe("is:sleeping");
    expect(screen.getByLabelText("Search issues").getAttribute("aria-invalid")).toBe("true");
  });

  it("offers completions and takes one with Tab or the arrows and Enter", () => {
    const onSubmit = vi.fn();
    render(<SearchBox value="" onSubmit={onSubmit} />);
    const input = screen.getByLabelText("Search issues") as HTMLInputElement;
    fireEvent.change(input, { target: { value: "is:re", selectionStart: 5 } });
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["is:resolved", "is:regressed"]);
    fireEvent.keyDown(input, { key: "ArrowDown" });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(input.value).toBe("is:regressed ");
    expect(onSubmit).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: "Enter" });
    expect(onSubmit).toHaveBeenCalledWith("is:regressed");
  });
});
