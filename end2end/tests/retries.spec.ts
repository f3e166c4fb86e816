// Fixing what failed, from the page. These journeys change the demo's history (retries that
// succeed make a workflow's newest version a healthy one), so they run after every other journey
// of both projects (see playwright.config.ts), and by then the journey that restores a version
// has fixed Invoice Reminders. The JavaScript project fixes Support Triage's step 2 here; the
// project without JavaScript, after it, finds it fixed.
import { expect, test } from "./fixtures";
import { expectAccessible } from "./a11y";
import { jsOn, mapping, ready, signIn, step } from "./helpers";

test("from a failure on the dashboard: fix step 2 from the run, save, retry the run", async ({ page }) => {
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Dashboard" }).click();
  await ready(page);
  await page.getByRole("region", { name: "Largest failure groups" }).getByRole("link", { name: /urgent queue/ }).click();
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible();
  await page.locator("tbody tr").first().getByRole("link", { name: "Failed" }).click();
  await expect(page.getByRole("heading", { name: "Run of Support Triage" })).toBeVisible();
  const failedRun = page.url();
  // The run says which mapping made the bad value, in words.
  await expect(page.locator(".blame")).toHaveText(
    "Step 2 “Event.create” got “urgent queue” for its field type from the ticket's route.",
  );
  await ready(page);
  await expectAccessible(page);

  if (jsOn(page)) {
    // Not fixed yet: the fix is the main offer, and a retry that would fail says so first.
    await expect(page.getByRole("link", { name: "Fix step 2" })).toHaveClass(/primary/);
    await page.getByRole("link", { name: "Retry from step 2" }).click();
    const dialog = page.getByRole("alertdialog");
    await expect(dialog.locator("ol.preview > li").nth(1)).toContainText("Would fail");
    await expect(dialog.getByRole("link", { name: "Fix step 2 first" })).toHaveClass(/primary/);
    await expect(dialog.getByRole("button", { name: /Retry/ })).toHaveCount(0);
    await ready(page);
    await dialog.getByRole("link", { name: "Retry anyway…" }).click();
    await expect(dialog).toContainText("This run would fail again at step 2");
    await expect(dialog.getByRole("button", { name: "Retry anyway" })).toBeVisible();
    await expectAccessible(page);
    await page.goto(failedRun);
    await ready(page);
  } else {
    // The JavaScript project fixed it: a retry runs the newer version.
    await expect(page.getByText(/The workflow has changed since version \d+/)).toBeVisible();
  }

  // "Fix step 2" opens the editor at step 2, marked, with this run's event as the sample.
  await page.getByRole("link", { name: "Fix step 2" }).click();
  await expect(page.getByRole("heading", { name: "Edit workflow" })).toBeVisible();
  await expect(page).toHaveURL(/\/edit\?run=run_\w+#step-2$/);
  await ready(page);
  await expect(step(page, 2)).toContainText("The run you are fixing failed here.");
  const sample = page.getByRole("group", { name: "Sample Ticket.opened data" });
  await expect(sample.getByLabel("route", { exact: true })).toHaveValue("urgent queue");
  await expect(page.getByText("The event of the run you are fixing.")).toBeVisible();
  const value = mapping(page, 2, "Value");
  await expect(page.getByText("The run you are fixing got “urgent queue” from this value.")).toBeVisible();
  // The lists offer the event's fields as values and the action's fields as fields.
  const offered = async (input: typeof value, option: string) =>
    page.locator(`datalist#${await input.getAttribute("list")} option[value="${option}"]`);
  await expect(await offered(value, "ticket.route")).toHaveCount(1);
  await expect(await offered(value, "ticket.subject")).toHaveCount(1);
  await expect(await offered(mapping(page, 2, "Field"), "type")).toHaveCount(1);
  await expectAccessible(page);
  if (jsOn(page)) {
    await expect(value).toHaveValue("ticket.route");
    await value.fill('"Queue.assigned"');
  } else {
    await expect(value).toHaveValue('"Queue.assigned"');
  }
  await page.getByRole("button", { name: "Save changes" }).click();

  // Saved: back on the run, which offers its retry and the runs that failed this way.
  await expect(page).toHaveURL(/\/o\/acme\/runs\/run_\w+\?fixed=1$/);
  await expect(page.getByRole("status").filter({ hasText: "Your fix is saved." })).toBeVisible();
  await ready(page);
  await page.getByRole("link", { name: "retry the runs that failed this way" }).click();
  await expect(page.getByRole("alertdialog").getByRole("heading", { name: /^Retry \d+ failed runs? from their failed step\?$/ })).toBeVisible();
  // The bulk retry of this group is the next journey's: back to the one run.
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
