// Fixing what failed, from the page. These journeys change the demo's history (retries that
// succeed make a workflow's newest version a healthy one), so they run after every other journey
// of both projects (see playwright.config.ts), and by then the journey that restores a version
// has fixed Invoice Reminders. The JavaScript project fixes Support Triage's step 2 here; the
// project without JavaScript, after it, finds it fixed.
import { expect, test } from "./fixtures";
import { expectAccessible } from "./a11y";
import { jsOn, mapping, ready, signIn } from "./helpers";

test("from a failure on the dashboard: fix the step, read the preview, retry from the failed step", async ({ page }) => {
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Dashboard" }).click();
  await ready(page);
  await page.getByRole("region", { name: "Largest failure groups" }).getByRole("link", { name: /urgent queue/ }).click();
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible();
  await page.locator("tbody tr").first().getByRole("link", { name: "Failed" }).click();
  await expect(page.getByRole("heading", { name: "Run of Support Triage" })).toBeVisible();
  const failedRun = page.url();
  await expect(page.getByRole("alert").first()).toContainText("Step 2 (Event.create)");
  await ready(page);
  await expectAccessible(page);

  // The fix: step 2 routes every ticket to the queue event, whatever the ticket says.
  await page.getByRole("link", { name: "← Support Triage" }).click();
  await ready(page);
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: /Edit/ })).toBeVisible();
  await ready(page);
  if (jsOn(page)) {
    await expect(mapping(page, 2, "Value")).toHaveValue("ticket.route");
    await mapping(page, 2, "Value").fill('"Queue.assigned"');
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("heading", { name: "Support Triage" })).toBeVisible();
  } else {
    await expect(mapping(page, 2, "Value")).toHaveValue('"Queue.assigned"');
  }

  // Back on the failed run: the preview says what runs again before anything does.
  await page.goto(failedRun);
  await ready(page);
  await page.getByRole("link", { name: "Retry from step 2" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog.getByRole("heading", { name: "Retry from step 2?" })).toBeVisible();
  await expect(dialog.locator("ol.preview > li").nth(0)).toContainText("Not run again");
  await expect(dialog.locator("ol.preview > li").nth(1)).toContainText("Records the event Queue.assigned");
  await expect(dialog).toContainText("1 of 2 steps run again");
  await expectAccessible(page);
  await ready(page);
  await dialog.getByRole("button", { name: "Retry from step 2" }).click();

  // The retry is a run of its own, linked to the one it repeats, and it succeeds.
  await expect(page).toHaveURL(/\/o\/acme\/runs\/run_/);
  expect(page.url()).not.toEqual(failedRun.split("?")[0]);
  await expect(page.getByText(/A retry of run run_\w+, from step 2/)).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.locator(".page-head .badge")).toHaveText("Succeeded", { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  const steps = page.locator("ol.timeline > li");
  await expect(steps.nth(0)).toContainText("Not run again: reused from run");
  await expect(steps.nth(1)).toContainText("Succeeded");
  await expectAccessible(page);
});

test("retry a failure group in bulk from the dashboard and watch its progress", async ({ page }) => {
  // Each project takes a group no earlier bulk retry took: the reminders with JavaScript, the
  // triage's urgent queue without; both are fixed by now, so their retries succeed.
  const group = jsOn(page) ? /email reminder/ : /urgent queue/;
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Dashboard" }).click();
  await ready(page);
  await page.getByRole("region", { name: "Largest failure groups" }).getByRole("link", { name: group }).click();
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible();
  await ready(page);
  await page.getByRole("link", { name: "Retry these failed runs from their failed step" }).click();
  const dialog = page.getByRole("alertdialog");
  const title = dialog.getByRole("heading", { name: /^Retry \d+ failed runs? from their failed step\?$/ });
  await expect(title).toBeVisible();
  const n = Number((await title.innerText()).match(/\d+/)![0]);
  expect(n).toBeGreaterThan(1);
  await expect(dialog.locator("ol.preview > li").first()).toContainText("Not run again");
  await expectAccessible(page);
  await ready(page);
  await dialog.getByRole("button", { name: `Retry ${n} runs` }).click();

  await expect(page).toHaveURL(/\/o\/acme\/runs\?batch=batch_/);
  const panel = page.getByRole("region", { name: /Bulk retry of/ });
  await expect(panel).toContainText(`Bulk retry of ${n} runs from their failed step`);
  await expectAccessible(page);
  await expect(async () => {
    await page.reload();
    await expect(panel).toContainText(`${n} of ${n} ended`, { timeout: 500 });
  }).toPass({ timeout: 40_000 });
  await expect(panel).toContainText(`${n} succeeded, 0 failed`);
  await expect(page.locator("tbody tr")).toHaveCount(Math.min(n, 25));
});
