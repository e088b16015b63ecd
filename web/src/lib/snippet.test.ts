import { describe, expect, it } from "vitest";
import { sdkSnippet } from "./snippet";

const dsn = "http://abc@127.0.0.1:8000/1";

describe("sdkSnippet", () => {
  it("puts the DSN into the platform's SDK set-up, Python by default", () => {
    expect(sdkSnippet(null, dsn).code).toContain(`dsn="${dsn}"`);
    expect(sdkSnippet("python", dsn).install).toBe("pip install sentry-sdk");
    expect(sdkSnippet("javascript-react", dsn).code).toContain(`dsn: "${dsn}"`);
    expect(sdkSnippet("node", dsn).install).toBe("npm install @sentry/node");
    expect(sdkSnippet("go", dsn).code).toContain(`Dsn: "${dsn}"`);
  });
});
