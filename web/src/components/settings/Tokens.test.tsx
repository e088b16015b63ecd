import { render, screen } from "@testing-library/react";
import { Provider, type Client } from "urql";
import { never } from "wonka";
import { describe, expect, it } from "vitest";
import { accessIn } from "../../lib/permissions";
import { Tokens } from "./Tokens";

// A client whose queries never answer: the token lists stay empty, the form is what is tested.
const silent = { executeQuery: () => never, executeMutation: () => never, executeSubscription: () => never } as unknown as Client;

describe("Tokens", () => {
  it("offers the viewer's scopes and organization tokens once its rights arrive after mounting", () => {
    const page = (access: ReturnType<typeof accessIn> | null) => (
      <Provider value={silent}>
        <Tokens org="team" access={access} personal={false} currentTokenId="t1" />
      </Provider>
    );
    const { rerender } = render(page(null));
    // The rights are read by a query of their own, which may answer after the page is drawn.
    rerender(page(accessIn("ORGANIZATION", ["org:read", "project:read", "event:read"], null)));
    expect((screen.getByLabelText("project:read", { exact: true }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("event:read", { exact: true }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("project:write", { exact: true }) as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText("Token kind") as HTMLSelectElement).value).toBe("organization");
  });
});
