import { fireEvent, render, screen } from "@testing-library/react";
import { Provider, type Client, type Operation } from "urql";
import { fromValue, never } from "wonka";
import { describe, expect, it } from "vitest";
import { ClientKeys, type KeyRow } from "./ClientKeys";

const row: KeyRow = { publicKey: "abc", dsn: "http://abc@localhost/1", isActive: true, rateLimitPerSecond: null, rateLimitPerMinute: null };

// Every mutation answers with the key as stored after it; the page's key list is never
// refetched, as when its refetch arrives late or out of order.
function client(stored: () => Partial<KeyRow>): Client {
  return {
    executeQuery: () => never,
    executeSubscription: () => never,
    executeMutation: (operation: Operation) =>
      fromValue({
        operation,
        data: { updateProjectKey: { project: { id: "p1", keys: [{ ...row, ...stored() }] }, userErrors: [] } },
        stale: false,
        hasNext: false,
      }),
  } as unknown as Client;
}

describe("ClientKeys", () => {
  it("says Saved from the server's answer, without waiting for the list to be refetched", async () => {
    render(
      <Provider value={client(() => ({ rateLimitPerSecond: 7, rateLimitPerMinute: 300 }))}>
        <ClientKeys org="o" project="p" dsn={row.dsn} platform="python" keys={[row]} writable />
      </Provider>,
    );
    fireEvent.change(screen.getByLabelText("Events per second for key abc"), { target: { value: "7" } });
    fireEvent.change(screen.getByLabelText("Events per minute for key abc"), { target: { value: "300" } });
    fireEvent.click(screen.getByRole("button", { name: "Save limits" }));
    expect(await screen.findByText("Saved")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Save limits" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
