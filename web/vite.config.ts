/// <reference types="vitest/config" />
// The UI's build: React through Vite into the Python package (stackline/webui/dist), served by
// `stackline serve` at `/`. In dev mode (`npm run dev`) Vite serves the sources and proxies the
// GraphQL API (HTTP and websocket) to a running `stackline serve` (STACKLINE_URL); GraphiQL's
// page is then at /graphiql.html.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const target = process.env.STACKLINE_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../stackline/webui/dist",
    emptyOutDir: true,
    // Hashed names under /assets/: the server caches them for a year.
    assetsDir: "assets",
    sourcemap: false,
    // Two pages: the UI (index.html, at / and its client routes) and GraphiQL (graphiql.html,
    // at GET /graphql), both served from the package, so neither needs a network beyond it.
    rollupOptions: {
      input: { index: "index.html", graphiql: "graphiql.html" },
    },
  },
  server: {
    port: 5173,
    proxy: {
      "/graphql": { target, ws: true, changeOrigin: true },
      "/healthz": { target },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
