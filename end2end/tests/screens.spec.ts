import { expect, Page, test } from "@playwright/test";
import { expectAccessible } from "./a11y";
import { ready, signIn } from "./helpers";

/** The page is no wider than the screen: nothing makes it scroll sideways. */
async function expectNoSidewaysScroll(page: Page, path: string) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `${path} scrolls sideways at ${clientWidth} px`).toBeLessThanOrEqual(clientWidth);
}

test("on a phone no page scrolls sideways, and each stays accessible", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  const workflow = await page.getByRole("link", { name: "Invoice Reminders" }).first().getAttribute("href");
  await page.goto("/o/acme/runs");
  const run = await page.locator('a[href*="/runs/run_"]').first().getAttribute("href");
  expect(workflow).toBeTruthy();
  expect(run).toBeTruthy();
  const paths = [
    "/o/acme/dashboard",
    "/o/acme/workflows",
    workflow!,
    `${workflow}/edit`,
    "/o/acme/workflows/new",
    "/o/acme/runs",
    run!,
    `${workflow}/versions`,
    `${workflow}/versions?a=1&b=2`,
    "/o/acme/settings",
    "/o/acme/audit",
    "/o/acme/events",
    "/account",
  ];
  for (const path of paths) {
    await page.goto(path);
    await ready(page);
    await expectNoSidewaysScroll(page, path);
    await expectAccessible(page);
  }
  // The menu folds behind one button, and opens to every page (without JavaScript too: a
  // checkbox does it).
  await page.goto("/o/acme/dashboard");
  const settings = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" });
  await expect(settings).toBeHidden();
  await page.getByText("Menu", { exact: true }).click();
  await expect(settings).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await expectNoSidewaysScroll(page, "the open menu");
  await settings.click();
  await expect(page).toHaveURL(/\/o\/acme\/settings$/);
  // The editor stacks a field over its value, each as wide as the step.
  await page.goto(`${workflow}/edit`);
  const field = page.getByRole("group", { name: "Fields" }).first().getByLabel("Field", { exact: true }).first();
  const value = page.getByRole("group", { name: "Fields" }).first().getByLabel("Value", { exact: true }).first();
  const [f, v] = [await field.boundingBox(), await value.boundingBox()];
  expect(f!.width).toBeGreaterThan(200);
  expect(v!.y).toBeGreaterThan(f!.y + f!.height - 1);
});
