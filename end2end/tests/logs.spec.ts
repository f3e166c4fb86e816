// Runs after every other browser test: the server's log of all of them (target/e2e-server.log,
// written by start-server.sh) has a line per request and per run end, and no secret the tests
// used: passwords, API keys, invitation and reset links, webhook secrets, session cookies.
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

test("the server's log names requests and runs and holds no secret", async () => {
  const log = readFileSync(join(__dirname, "..", "..", "target", "e2e-server.log"), "utf8");
  // The demo's published sign-in, printed once at start-up for a newcomer, is not a secret.
  const lines = log.split("\n").filter((l) => !l.startsWith("Demo sign-in:"));
  expect(lines.filter((l) => l.includes("request") && l.includes("/o/acme/")).length).toBeGreaterThan(50);
  expect(lines.some((l) => /run ended.*status=\W?Succeeded/.test(l))).toBe(true);
  // A server function's path names no organization: its line names the one it acted for.
  expect(lines.some((l) => /path=\W?\/api\/\S+.*org=\W?acme/.test(l))).toBe(true);
  expect(lines.some((l) => l.includes("path=/invite/…"))).toBe(true);
  expect(lines.some((l) => l.includes("path=/reset/…"))).toBe(true);
  for (const [what, pattern] of [
    ["the demo password", /switchyard-demo/],
    ["a member's new password", /a quiet harbour at dawn/],
    ["a refused password", /password1234/],
    ["an API key", /sy_[A-Za-z0-9]{20,}/],
    ["an invitation link", /\/invite\/[A-Za-z0-9]{40}/],
    ["a password reset link", /\/reset\/[A-Za-z0-9]{40}/],
    ["a webhook signing secret", /whsec_[A-Za-z0-9+/]{20,}/],
    ["a reset's new password", /lanterns over the old canal/],
    ["a session cookie", /switchyard_session=/],
    ["an authorization header", /Bearer /i],
    ["a secret's value", /whsk_journey_[a-z]+_(value|crm)/],
  ] as const) {
    const found = lines.find((l) => pattern.test(l));
    expect(found, `${what} in the log`).toBeUndefined();
  }
});
