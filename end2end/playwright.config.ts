import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);

export default defineConfig({
  testDir: "./tests",
  // Two cores run the server, PostgreSQL and Chromium: one journey at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    trace: "off",
  },
  // The retry journeys change the demo's history, so they run after every other journey.
  projects: [
    { name: "javascript", use: { javaScriptEnabled: true }, testIgnore: /(retries|sdk|mcp|logs)\.spec\.ts/ },
    { name: "no-javascript", use: { javaScriptEnabled: false }, testIgnore: /(retries|sdk|mcp|logs)\.spec\.ts/ },
    {
      name: "retries-javascript",
      use: { javaScriptEnabled: true },
      testMatch: /retries\.spec\.ts/,
      dependencies: ["javascript", "no-javascript"],
    },
    {
      name: "retries-no-javascript",
      use: { javaScriptEnabled: false },
      testMatch: /retries\.spec\.ts/,
      dependencies: ["retries-javascript"],
    },
    // Programs, not people: the SDK examples over REST and the MCP client. They add workflows,
    // so they run last.
    {
      name: "headless",
      use: { javaScriptEnabled: true },
      testMatch: /(sdk|mcp)\.spec\.ts/,
      dependencies: ["retries-no-javascript"],
    },
    // Last: the server's log of everything above holds none of the secrets the tests used.
    {
      name: "logs",
      testMatch: /logs\.spec\.ts/,
      dependencies: ["headless"],
    },
  ],
  webServer: {
    command: `./start-server.sh ${port}`,
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
