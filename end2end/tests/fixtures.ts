import { expect, test as base } from "@playwright/test";

/**
 * Every journey runs under the app's Content-Security-Policy and fails if the browser reports
 * a violation: a script, style or request the policy blocked means a page that works only
 * without it.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on("console", (message) => {
        const text = message.text();
        if (/Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(text)) {
          violations.push(`${page.url()}: ${text}`);
        }
      });
      await use(violations);
      expect(violations, "the browser reported no CSP violation").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
