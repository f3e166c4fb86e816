import { expect, Page, test } from "@playwright/test";
import { readFileSync } from "node:fs";

// axe-core runs as a script inside the page, so it checks the JavaScript project's pages;
// without JavaScript the server sends the same markup. It is evaluated by the test driver,
// not added as a <script>: the app's Content-Security-Policy rightly refuses inline scripts.
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Fails on any serious or critical axe-core violation of the page as it is now. */
export async function expectAccessible(page: Page) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as any).axe;
    // Off by default as experimental: a control's name must contain the text it shows, so
    // that a person who speaks the visible label can use it.
    const result = await axe.run(document, {
      rules: { "label-content-name-mismatch": { enabled: true } },
    });
    return result.violations
      .filter((v: any) => v.impact === "serious" || v.impact === "critical")
      .map((v: any) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n: any) => n.target.join(" ")).join(", ")}`);
  });
  expect(violations, `axe-core on ${page.url()}`).toEqual([]);
}
