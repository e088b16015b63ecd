// The few lines that point an SDK at a DSN, for the settings page: Sentry's own SDKs, unchanged.

export function sdkSnippet(platform: string | null | undefined, dsn: string): { language: string; install: string; code: string } {
  const p = (platform ?? "").toLowerCase();
  if (p.startsWith("javascript") || p === "browser" || p === "react" || p === "vue") {
    return {
      language: "JavaScript (browser)",
      install: "npm install @sentry/browser",
      code: `import * as Sentry from "@sentry/browser";\n\nSentry.init({\n  dsn: ${JSON.stringify(dsn)},\n});`,
    };
  }
  if (p.startsWith("node")) {
    return {
      language: "Node.js",
      install: "npm install @sentry/node",
      code: `const Sentry = require("@sentry/node");\n\nSentry.init({\n  dsn: ${JSON.stringify(dsn)},\n});`,
    };
  }
  if (p.startsWith("go")) {
    return {
      language: "Go",
      install: "go get github.com/getsentry/sentry-go",
      code: `err := sentry.Init(sentry.ClientOptions{\n\tDsn: ${JSON.stringify(dsn)},\n})`,
    };
  }
  return {
    language: "Python",
    install: "pip install sentry-sdk",
    code: `import sentry_sdk\n\nsentry_sdk.init(\n    dsn=${JSON.stringify(dsn)},\n    release="my-app@1.0.0",\n    environment="production",\n)`,
  };
}
