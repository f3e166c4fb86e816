import { expect, test } from "./fixtures";
import { expectAccessible } from "./a11y";
import { jsOn, mapping, ready, signIn, step } from "./helpers";
import { linkIn, mailCount, nextMail } from "./mail";
import { hooksPort, nthHook, signedWith } from "./hooks";

test("sign in, build a workflow with two steps, and move it through its verbs", async ({ page }) => {
  const name = `Onboarding ${test.info().project.name} ${Date.now()}`;
  await signIn(page);
  await ready(page);

  // Create: an empty name is refused next to its field, and nothing else is lost.
  await expectAccessible(page);
  await page.getByRole("link", { name: "New workflow" }).click();
  await expect(page.getByRole("heading", { name: "New workflow" })).toBeVisible();
  await ready(page);
  await expectAccessible(page);
  await page.getByLabel("Trigger event").fill("Deal.won");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.locator("#name-error")).toHaveText("Name is required");
  await expect(page.getByLabel("Trigger event")).toHaveValue("Deal.won");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.locator(".page-head .badge")).toHaveText("Draft");
  await ready(page);
  await expectAccessible(page);

  // Activating without steps is vetoed with the hook's message.
  await page.getByRole("button", { name: "Activate" }).click();
  await expect(page.locator("#verb-error")).toHaveText("At least one step is required");
  await expect(page.locator(".page-head .badge")).toHaveText("Draft");
  await ready(page);

  // Edit: two steps through the steps editor, no JSON anywhere.
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: "Edit workflow" })).toBeVisible();
  await ready(page);
  // With JavaScript the editor's buttons change the form in place: no page loads, the address
  // stays, and focus goes to what was added. Without, the page comes back at that step.
  const editing = page.url();
  let loads = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) loads++;
  });
  await page.getByRole("button", { name: "Add step" }).click();
  await expect(step(page, 1).getByLabel("Action", { exact: true })).toBeVisible();
  await ready(page);
  if (jsOn(page)) {
    await expect(step(page, 1).getByLabel("Action", { exact: true })).toBeFocused();
    expect(loads).toBe(0);
    expect(page.url()).toBe(editing);
  } else {
    expect(page.url()).toMatch(/\/edit#step-1$/);
  }
  await step(page, 1).getByLabel("Action", { exact: true }).fill("Project.create");
  await mapping(page, 1, "Field").fill("name");
  await mapping(page, 1, "Value").fill('"Onboarding: " + deal.name');
  await page.getByRole("button", { name: "Add step" }).click();
  await expect(step(page, 2).getByLabel("Action", { exact: true })).toBeVisible();
  await expect(step(page, 1).getByLabel("Action", { exact: true })).toHaveValue("Project.create");
  await ready(page);
  await step(page, 2).getByLabel("Action", { exact: true }).fill("Customer.create");
  await mapping(page, 2, "Field").fill("name");
  await mapping(page, 2, "Value").fill("deal.name");
  await expectAccessible(page);
  if (jsOn(page)) {
    await expect(step(page, 2).getByLabel("Action", { exact: true })).toHaveValue("Customer.create");
    expect(loads).toBe(0);
    // Leaving with changes not saved asks first; staying keeps them.
    const asked = page.waitForEvent("dialog");
    const leaving = page.getByRole("link", { name: "Cancel" }).click();
    const dialog = await asked;
    expect(dialog.type()).toBe("beforeunload");
    await dialog.dismiss();
    await leaving;
    await expect(step(page, 2).getByLabel("Action", { exact: true })).toHaveValue("Customer.create");
    expect(page.url()).toBe(editing);
  }
  await step(page, 2).getByRole("button", { name: "Move up" }).click();
  await expect(step(page, 1).getByLabel("Action", { exact: true })).toHaveValue("Customer.create");
  await expect(step(page, 2).getByLabel("Action", { exact: true })).toHaveValue("Project.create");
  await expect(mapping(page, 2, "Value")).toHaveValue('"Onboarding: " + deal.name');
  await ready(page);
  if (jsOn(page)) {
    // Focus stays with the step that moved: it is step 1 now, so its "Move down".
    await expect(step(page, 1).getByRole("button", { name: "Move down" })).toBeFocused();
    expect(loads).toBe(0);
  }
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.locator(".page-head .version")).toHaveText("Version 2");
  await expect(page.locator(".step-summary > li")).toHaveCount(2);
  await expect(page.locator(".step-summary > li").first()).toContainText("Customer.create");
  await ready(page);

  // Activate, pause, archive (archiving asks first).
  await page.getByRole("button", { name: "Activate" }).click();
  await expect(page.locator(".page-head .badge")).toHaveText("Activated");
  await ready(page);
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.locator(".page-head .badge")).toHaveText("Paused");
  await ready(page);
  await page.getByRole("link", { name: "Archive" }).click();
  await expect(page.getByRole("alertdialog")).toContainText("read-only for ever");
  await ready(page);
  await page.getByRole("alertdialog").getByRole("button", { name: "Archive" }).click();
  await expect(page.locator(".page-head .badge")).toHaveText("Archived");
  await expect(page.getByRole("button", { name: "Activate" })).toHaveCount(0);

  // The list shows it with its status and version.
  await page.goto(`/o/acme/workflows?q=${encodeURIComponent(name)}`);
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("Archived");
  await expect(row).toContainText("Deal.won");
});

test("another organization's workflow is a 404, like a missing one", async ({ browser, page }) => {
  // Globex's own Admin sees Globex's workflow: its address is real.
  const globex = await browser.newPage();
  await signIn(globex, "globex");
  await globex.getByRole("link", { name: "Globex Renewals", exact: true }).click();
  await expect(globex.getByRole("heading", { name: "Globex Renewals" })).toBeVisible();
  const theirs = new URL(globex.url()).pathname.split("/").pop()!;
  expect(theirs).toMatch(/^workflow_[0-9A-Za-z]{8}$/);
  await globex.close();

  // To Acme's Admin, that workflow and that organization answer exactly as missing ones do.
  await signIn(page);
  const answers = async (path: string) => {
    const response = await page.goto(path);
    return { status: response?.status(), text: await page.locator("main").innerText() };
  };
  const missing = await answers("/o/acme/workflows/workflow_Missing0");
  expect(missing.status).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expectAccessible(page);
  expect(await answers(`/o/acme/workflows/${theirs}`)).toEqual(missing);
  const noOrg = await answers("/o/initech/workflows");
  expect(noOrg.status).toBe(404);
  expect(await answers("/o/globex/workflows")).toEqual(noOrg);
  expect(await answers(`/o/globex/workflows/${theirs}`)).toEqual(await answers(`/o/initech/workflows/${theirs}`));
});

test("an Admin creates an API key, sees it once, and revokes it", async ({ page }) => {
  const name = `Zapier ${test.info().project.name} ${Date.now()}`;
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await ready(page);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.locator("#key_name-error")).toContainText("Name is required");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  // What it may do: send events (checked already) and read; it works through a last day.
  await expect(page.getByRole("checkbox", { name: /Send events/ })).toBeChecked();
  await page.getByRole("checkbox", { name: /Read workflows, runs and events/ }).check();
  await page.getByLabel("Last day it works (optional)").fill("2999-12-31");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = page.locator("#new-key code.secret");
  await expect(secret).toHaveText(/^sy_[0-9A-Za-z]{40}$/);
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("Active");
  await expect(row).toContainText("Send events; Read workflows, runs and events");
  await expect(row).toContainText("After 2999-12-31");
  await expectAccessible(page);

  // The key reads over REST, and may not change anything.
  const key = { authorization: `Bearer ${await secret.innerText()}` };
  const listed = await page.request.get("/~acme/workflows?sort=name&limit=1", { headers: key });
  expect(listed.status()).toBe(200);
  expect((await listed.json()).results[0].$type).toBe("Workflow");
  const refused = await page.request.post("/~acme/workflows", {
    headers: key,
    data: { name: "Not allowed", triggerEvent: "Deal.won" },
  });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.code).toBe("forbidden");

  await page.goto("/o/acme/settings");
  await expect(page.locator("#new-key")).toHaveCount(0);
  await ready(page);
  await row.getByRole("link", { name: "Revoke" }).click();
  await ready(page);
  await row.getByRole("button", { name: "Revoke for good" }).click();
  await expect(row).toContainText("Revoked");
});

test("the REST API's reference reads without anything from elsewhere", async ({ page }) => {
  await page.goto("/api/docs");
  await expect(page.getByRole("heading", { name: "Switchyard REST API", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "GET /~{org}/workflows", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "/api/openapi.json" })).toBeVisible();
  await expectAccessible(page);
  const doc = await (await page.request.get("/api/openapi.json")).json();
  expect(doc.openapi).toMatch(/^3\.1/);
});

test("trigger the demo workflow by hand and follow its run step by step", async ({ page }) => {
  const customer = `Initech ${test.info().project.name}`;
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Customer Onboarding", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Customer Onboarding" })).toBeVisible();
  await ready(page);
  await expectAccessible(page);

  // The sample is a form of the event's fields, prefilled from the latest Deal.won that arrived.
  await page.getByText("Trigger by hand").click();
  const sample = page.getByRole("group", { name: "Sample Deal.won data" });
  await expect(page.getByText("These fields come from the latest Deal.won event that arrived")).toBeVisible();
  await expect(sample.getByLabel("name", { exact: true })).not.toHaveValue("");
  await expect(sample.getByLabel("name", { exact: true })).not.toHaveValue("Example name");
  await expect(page.getByRole("textbox", { name: /Sample/ })).toHaveCount(0);

  // Preview with sample data: each step in words, nothing run.
  await sample.getByLabel("name", { exact: true }).fill(customer);
  await sample.getByLabel("plan", { exact: true }).fill("pro");
  await sample.getByLabel("Add a field").fill("contact.email");
  await sample.getByLabel("Its value").fill("ada@initech.test");
  await page.getByRole("button", { name: "Preview with sample data" }).click();
  const preview = page.getByRole("region", { name: "Preview with sample data" });
  await expect(preview).toContainText("every step would work");
  await expect(preview.locator("ol.preview > li").first()).toContainText(`Creates a Customer named “${customer}”.`);
  await expect(page).toHaveURL(/\/o\/acme\/workflows\/workflow_\w+\?sample=/);
  await ready(page);
  await expectAccessible(page);

  // Good sample data: the run page opens, and the workers take the run to its end. The form
  // comes back with what was previewed, the added field among the others.
  if (!(await sample.isVisible())) {
    await page.getByText("Trigger by hand").click();
  }
  await expect(sample.getByLabel("name", { exact: true })).toHaveValue(customer);
  await expect(sample.getByLabel("contact.email", { exact: true })).toHaveValue("ada@initech.test");
  await page.getByRole("button", { name: "Trigger now" }).click();
  await expect(page).toHaveURL(/\/o\/acme\/runs\/run_/);
  await expect(async () => {
    await page.reload();
    await expect(page.locator(".page-head .badge")).toHaveText("Succeeded", { timeout: 500 });
  }).toPass({ timeout: 15_000 });

  // Every step, with what it was sent and what it made, in words rather than JSON.
  const steps = page.locator("ol.timeline > li");
  await expect(steps).toHaveCount(4);
  await expect(steps.nth(0)).toContainText("Customer.create");
  await expect(steps.nth(0)).toContainText("Succeeded");
  await expect(steps.nth(0)).toContainText(customer);
  await expect(steps.nth(2)).toContainText(`Onboarding: ${customer}`);
  await expect(steps.nth(3)).toContainText("Welcome call with Ada");
  await expect(page.getByText("{")).toHaveCount(0);
  await expectAccessible(page);

  // The run history lists it.
  await page.getByRole("link", { name: "Run history" }).click();
  await expect(page.getByRole("heading", { name: "Run history" })).toBeVisible();
  await expect(page.locator("tbody tr").first()).toContainText("Succeeded");
  await expectAccessible(page);

  // The event log shows the event and the run it started.
  await page.getByRole("link", { name: "Events" }).click();
  await expect(page.getByRole("heading", { name: "Events" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Deal\.won/ }).first()).toContainText("Customer Onboarding");
  await expectAccessible(page);
});

test("a run in flight is followed on its page until it ends", async ({ page }) => {
  // A step that fails, tried twice four seconds apart: its run stays in flight that long.
  const name = `Follow ${test.info().project.name} ${Date.now()}`;
  await signIn(page);
  await page.goto("/o/acme/workflows/new");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Trigger event").fill("Ticket.opened");
  await page.getByRole("button", { name: "Add step" }).click();
  await ready(page);
  await step(page, 1).getByLabel("Action", { exact: true }).fill("Event.create");
  await mapping(page, 1, "Field").fill("type");
  await mapping(page, 1, "Value").fill("ticket.kind");
  await page.getByLabel("Attempts per step (optional)").fill("2");
  await page.getByLabel("First wait", { exact: true }).fill("4 s");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await ready(page);
  await page.getByRole("button", { name: "Activate" }).click();
  await expect(page.locator(".page-head .badge")).toHaveText("Activated");
  await ready(page);
  // The form starts from the latest Ticket.opened that arrived, which has no kind: add it.
  await page.getByText("Trigger by hand").click();
  const ticket = page.getByRole("group", { name: "Sample Ticket.opened data" });
  await ticket.getByLabel("Add a field").fill("kind");
  await ticket.getByLabel("Its value").fill("not an event type");
  await page.getByRole("button", { name: "Trigger now" }).click();
  await expect(page).toHaveURL(/\/o\/acme\/runs\/run_/);
  const badge = page.locator(".page-head .badge");
  await expect(page.getByRole("status").filter({ hasText: "Still running" })).toBeVisible();
  await expect(badge).not.toHaveText("Failed");
  await ready(page);
  await expectAccessible(page);

  if (jsOn(page)) {
    // The page reads the run again by itself: no reload, no click.
    let loads = 0;
    page.on("load", () => loads++);
    await expect(badge).toHaveText("Failed", { timeout: 15_000 });
    expect(loads).toBe(0);
  } else {
    // Without JavaScript the page stays as it was sent, and the link shows the latest.
    await page.waitForTimeout(5_000);
    await expect(badge).not.toHaveText("Failed");
    await expect(async () => {
      await page.getByRole("link", { name: "Show the latest" }).click();
      await expect(badge).toHaveText("Failed", { timeout: 500 });
    }).toPass({ timeout: 15_000 });
  }
  await expect(page.getByRole("status").filter({ hasText: "Still running" })).toHaveCount(0);
  await expect(page.locator("ol.timeline > li").first()).toContainText("not \"not an event type\"");
  await expectAccessible(page);
});

test("the dashboard puts the failing workflow first, since its version, and its chart marks the change", async ({ page }) => {
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expectAccessible(page);

  // Worst first: the demo's Invoice Reminders, failing since its version 2.
  const attention = page.getByRole("region", { name: "Needs attention" });
  const worst = attention.getByRole("listitem").first();
  await expect(worst).toContainText("Invoice Reminders");
  await expect(worst).toContainText("Failing since version 2");
  await expect(page.getByRole("region", { name: "Largest failure groups" })).toContainText("email reminder");

  // A group's runs open from the dashboard, with every filter in the address.
  await ready(page);
  await page.getByRole("region", { name: "Largest failure groups" }).getByRole("link", { name: /email reminder/ }).click();
  await expect(page).toHaveURL(/\/o\/acme\/runs\?group=/);
  await expect(page.getByRole("heading", { name: "Runs" })).toBeVisible();
  await expect(page.getByText(/Failure group: Invoice Reminders, step 2/)).toBeVisible();
  const rows = page.locator("tbody tr");
  await expect(rows.first()).toContainText("Failed");
  await expect(rows.first()).toContainText("Invoice Reminders");
  await expectAccessible(page);
  await ready(page);
  await page.getByLabel("Error contains").fill("no such words");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/error=no(\+|%20)such(\+|%20)words/);
  await expect(page.getByText("No run matches these filters")).toBeVisible();
  await page.goBack();
  await expect(rows.first()).toContainText("Invoice Reminders");
  await page.getByRole("link", { name: "Dashboard" }).click();

  // The range is in the address.
  await ready(page);
  await page.getByRole("link", { name: "Last 30 days" }).click();
  await expect(page).toHaveURL(/range=30d/);
  await expect(page.getByRole("link", { name: "Last 30 days" })).toHaveAttribute("aria-current", "page");

  // Its page marks version 2 on the time axis and says the same.
  await ready(page);
  await attention.getByRole("link", { name: "Invoice Reminders" }).click();
  await expect(page.getByRole("heading", { name: "Invoice Reminders" })).toBeVisible();
  await expect(page.getByText(/Failing since version 2, saved/)).toBeVisible();
  await expect(page.locator("svg .version-mark text").first()).toHaveText("v2");
  await expectAccessible(page);
});

test("the runs list counts what matches, keeps good filters beside a bad one, and each filter comes off", async ({ page }) => {
  await signIn(page);
  await page.goto("/o/acme/runs?status=Failed&step=two");
  await ready(page);
  // The bad step is named next to its field; the status still applies.
  await expect(page.getByText("“two” is not a step number")).toBeVisible();
  await expect(page.getByLabel("Status", { exact: true })).toHaveValue("Failed");
  await expect(page.getByRole("status").filter({ hasText: /^[\d,]+ runs? match\./ })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Error" })).toBeVisible();
  await expect(page.locator("tbody tr").first().locator("td.error-cell")).not.toBeEmpty();
  await expectAccessible(page);

  // Steps and versions are choices, as the table shows them.
  await ready(page);
  await page.getByLabel("Failed at step").selectOption({ label: "Step 2" });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/step=2/);
  await expect(page.getByText("is not a step number")).toHaveCount(0);
  const steps = await page.locator("tbody tr td:nth-child(6)").allInnerTexts();
  expect(steps.length).toBeGreaterThan(0);
  expect(new Set(steps)).toEqual(new Set(["Step 2"]));

  // Every filter comes off by its own link.
  await ready(page);
  await page.getByRole("link", { name: "Remove the filter Status: Failed" }).click();
  await expect(page).toHaveURL(/\/o\/acme\/runs\?step=2$/);
  await expect(page.getByLabel("Status", { exact: true })).toHaveValue("");
  await ready(page);
  await page.getByRole("link", { name: "Clear all filters" }).click();
  await expect(page).toHaveURL(/\/o\/acme\/runs$/);
  await expect(page.getByRole("status").filter({ hasText: /runs? in all\./ })).toBeVisible();

  // The dashboard's "Failing now" counts the workflows its table lists, each named.
  await page.goto("/o/acme/dashboard");
  await ready(page);
  const counted = Number(await page.locator(".counters div", { hasText: "Failing now" }).locator("dd").first().innerText());
  const failing = page.getByRole("region", { name: "Failing now" });
  await expect(failing.locator("tbody tr")).toHaveCount(counted);
  expect(counted).toBeGreaterThan(0);
  await expect(failing.getByRole("columnheader", { name: "Workflow" })).toBeVisible();
});

test("compare two versions in plain words, then restore the older one", async ({ page }) => {
  await signIn(page);
  await ready(page);
  await page.getByRole("link", { name: "Invoice Reminders", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Invoice Reminders" })).toBeVisible();
  const current = Number((await page.locator(".page-head .version").innerText()).replace("Version ", ""));
  await ready(page);
  await page.locator(".page-head .version").click();
  await expect(page.getByRole("heading", { name: "Versions" })).toBeVisible();
  await expectAccessible(page);

  // Version 1 against version 2: the changed step, as the editor shows it.
  await ready(page);
  await page.getByLabel("Compare version").fill("1");
  await page.getByLabel("with version").fill("2");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(/a=1&b=2/);
  const step2 = page.getByRole("row", { name: /^Step 2 / });
  await expect(step2).toContainText("Changed");
  await expect(step2).toContainText('type ← "Reminder.sent"');
  await expect(step2).toContainText("type ← invoice.channel");
  // In words, above the table; the changed lines are marked.
  await expect(page.getByRole("listitem").filter({ hasText: "Step 2 “type” changed from the fixed text “Reminder.sent” to the invoice's channel." })).toBeVisible();
  await expect(step2.locator("li.line-changed")).toHaveCount(2);
  await expect(page.getByText("{")).toHaveCount(0);
  await expectAccessible(page);

  // Restore version 1, asked first.
  await ready(page);
  await page.getByRole("link", { name: "Restore version 1" }).click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText(`This saves version ${current + 1} with the fields of version 1`);
  // What goes back, in words (the project with JavaScript restores it first: for the other,
  // the current version already has version 1's fields), and what it does not do.
  if (jsOn(page)) {
    await expect(dialog.getByRole("listitem").filter({ hasText: "Step 2 “type” changed from the invoice's channel to the fixed text “Reminder.sent”." })).toBeVisible();
  } else {
    await expect(dialog).toContainText(`Version 1 has the same fields as version ${current}`);
  }
  await expect(dialog).toContainText("Runs that failed stay failed");
  await ready(page);
  await dialog.getByRole("button", { name: "Restore version 1" }).click();
  await expect(page.getByRole("heading", { name: "Invoice Reminders" })).toBeVisible();
  await expect(page.locator(".page-head .version")).toHaveText(`Version ${current + 1}`);
  await page.locator(".page-head .version").click();
  await expect(page.getByRole("row", { name: new RegExp(`^${current + 1} \\(current\\)`) })).toContainText("Restored version 1");
});

test("an Admin invites a member, who joins as an Editor, then is made a Viewer and can no longer edit", async ({ page, browser }) => {
  await signIn(page);
  await page.goto("/o/acme/settings");
  await ready(page);
  const email = `grace-${jsOn(page) ? "on" : "off"}@acme.test`;
  const invite = page.locator("form.invite");
  // A bad address is refused next to the field, and what was typed stays.
  await invite.getByLabel("Email").fill("grace at acme");
  await invite.getByLabel("Role").selectOption("Editor");
  await page.getByRole("button", { name: "Invite" }).click();
  await expect(page.getByText("Email must look like name@example.com")).toBeVisible();
  await expect(invite.getByLabel("Email")).toHaveValue("grace at acme");
  await invite.getByLabel("Email").fill(email);
  const seen = mailCount(email);
  await page.getByRole("button", { name: "Invite" }).click();
  // Email is on: the invitation goes to their mailbox, and the Admin sees that, not the link.
  await expect(page.locator("#invitation-link")).toContainText(`Emailed to ${email}`);
  await expect(page.locator("#invitation-link code.secret")).toHaveCount(0);
  await expectAccessible(page);
  const mail = await nextMail(email, seen);
  expect(mail.subject).toBe("Ada Admin invited you to Acme Inc on Switchyard");
  const link = linkIn(mail, "/invite/");
  expect(link).toMatch(/\/invite\/[A-Za-z0-9]{40}$/);

  // The invited person, in a browser of their own.
  const theirs = await browser.newContext({ javaScriptEnabled: jsOn(page) });
  const guest = await theirs.newPage();
  const violations: string[] = [];
  guest.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  await guest.goto(link);
  await ready(guest);
  await expect(guest.getByRole("heading", { name: "Join Acme Inc" })).toBeVisible();
  await expectAccessible(guest);
  await guest.getByLabel("Your name").fill("Grace Hopper");
  await guest.getByLabel("Password", { exact: true }).fill("password1234");
  await guest.getByLabel("Password again").fill("password1234");
  await guest.getByRole("button", { name: "Join" }).click();
  await expect(guest.getByText("too common or too easy to guess")).toBeVisible();
  await expect(guest.getByLabel("Your name")).toHaveValue("Grace Hopper");
  await guest.getByLabel("Password", { exact: true }).fill("a quiet harbour at dawn");
  await guest.getByLabel("Password again").fill("a quiet harbour at dawn");
  await guest.getByRole("button", { name: "Join" }).click();
  await expect(guest).toHaveURL(/\/o\/acme\/dashboard$/);
  await expect(guest.getByRole("link", { name: "Grace Hopper · Editor" })).toBeVisible();
  await guest.goto("/o/acme/workflows");
  await ready(guest);
  await expect(guest.getByRole("link", { name: "New workflow" })).toBeVisible();

  // The Admin makes them a Viewer.
  await page.goto("/o/acme/settings");
  await ready(page);
  const row = page.getByRole("row").filter({ hasText: email });
  await row.getByLabel("Role").selectOption("Viewer");
  // The select reads "Viewer" as soon as it is chosen: wait for the server's answer, so that
  // the member's next page is asked for after the change.
  await Promise.all([
    page.waitForResponse((r) => r.url().includes("/api/change_member_role")),
    row.getByRole("button", { name: "Change role" }).click(),
  ]);
  await expect(page.getByRole("row").filter({ hasText: email }).getByLabel("Role")).toHaveValue("Viewer");

  // On their next page they read, and no longer edit.
  await guest.goto("/o/acme/workflows");
  await ready(guest);
  await expect(guest.getByRole("link", { name: "Grace Hopper · Viewer" })).toBeVisible();
  await expect(guest.getByRole("link", { name: "New workflow" })).toHaveCount(0);
  await guest.goto("/o/acme/workflows/new");
  await expect(guest.getByText("Your role does not allow this")).toBeVisible();

  // Their own account: sessions and the password form.
  await guest.goto("/account");
  await ready(guest);
  await expect(guest.getByText("This browser")).toBeVisible();
  await expectAccessible(guest);
  expect(violations, "no CSP violation in the member's browser").toEqual([]);
  await theirs.close();

  // The trail shows who did it.
  await page.goto("/o/acme/audit");
  await ready(page);
  await expect(page.getByRole("cell", { name: "Changed a role" }).first()).toBeVisible();
  await expect(page.getByRole("cell", { name: "Editor → Viewer" }).first()).toBeVisible();
  await expectAccessible(page);
});

/** Invites `email` from the settings page of `org` (its Admin signed in on `page`); the link
 * from the invitation's email. */
async function invite(page: import("@playwright/test").Page, org: string, email: string, role: string) {
  await page.goto(`/o/${org}/settings`);
  await ready(page);
  const form = page.locator("form.invite");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption(role);
  const seen = mailCount(email);
  await page.getByRole("button", { name: "Invite" }).click();
  await expect(page.locator("#invitation-link")).toContainText(`Emailed to ${email}`);
  return linkIn(await nextMail(email, seen), "/invite/");
}

test("someone who forgot their password gets a link by email, chooses a new one, and is signed out elsewhere", async ({ page, browser }) => {
  const email = `rosa-${jsOn(page) ? "on" : "off"}@acme.test`;
  const context = () => browser.newContext({ javaScriptEnabled: jsOn(page) });
  await signIn(page);
  const joining = await invite(page, "acme", email, "Viewer");
  // Rosa joins, and stays signed in on that browser.
  const elsewhere = await context();
  const before = await elsewhere.newPage();
  await before.goto(joining);
  await ready(before);
  await before.getByLabel("Your name").fill("Rosa");
  await before.getByLabel("Password", { exact: true }).fill("a quiet harbour at dawn");
  await before.getByLabel("Password again").fill("a quiet harbour at dawn");
  await before.getByRole("button", { name: "Make my account and join" }).click();
  await expect(before).toHaveURL(/\/o\/acme\/dashboard$/);

  // On another browser she has forgotten it.
  const fresh = await context();
  const rosa = await fresh.newPage();
  await rosa.goto("/login");
  await ready(rosa);
  await rosa.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(rosa).toHaveURL(/\/forgot$/);
  await ready(rosa);
  await expectAccessible(rosa);
  await rosa.getByLabel("Email").fill("rosa at acme");
  await rosa.getByRole("button", { name: "Send me a link" }).click();
  await expect(rosa.getByText("Email must look like name@example.com")).toBeVisible();
  await expect(rosa.getByLabel("Email")).toHaveValue("rosa at acme");
  const seen = mailCount(email);
  await rosa.getByLabel("Email").fill(email);
  await rosa.getByRole("button", { name: "Send me a link" }).click();
  await expect(rosa.getByText("If that address has an account here")).toBeVisible();
  await expectAccessible(rosa);
  const mail = await nextMail(email, seen);
  expect(mail.subject).toBe("Choose a new Switchyard password");
  const link = linkIn(mail, "/reset/");

  await rosa.goto(link);
  await ready(rosa);
  await expect(rosa.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  await expectAccessible(rosa);
  await rosa.getByLabel("New password", { exact: true }).fill("password1234");
  await rosa.getByLabel("New password again").fill("password1234");
  await rosa.getByRole("button", { name: "Save my new password" }).click();
  await expect(rosa.getByText("too common or too easy to guess")).toBeVisible();
  await rosa.getByLabel("New password", { exact: true }).fill("lanterns over the old canal");
  await rosa.getByLabel("New password again").fill("lanterns over the old canal");
  await rosa.getByRole("button", { name: "Save my new password" }).click();
  await expect(rosa).toHaveURL(/\/login\?reset=1$/);
  await expect(rosa.getByText("Your password is changed")).toBeVisible();
  await expectAccessible(rosa);
  await rosa.getByLabel("Email").fill(email);
  await rosa.getByLabel("Password").fill("lanterns over the old canal");
  await rosa.getByRole("button", { name: "Sign in" }).click();
  await expect(rosa).toHaveURL(/\/o\/acme\/dashboard$/);

  // The link worked once; the browser signed in before is signed out.
  await rosa.goto(link);
  await expect(rosa.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  await before.goto("/o/acme/workflows");
  await expect(before).toHaveURL(/\/login\?next=/);
  await elsewhere.close();
  await fresh.close();
});

test("an Admin sends a test email from Settings and reads what the mail server answered", async ({ page }) => {
  await signIn(page);
  await page.goto("/o/acme/settings");
  await ready(page);
  const email = page.getByRole("region", { name: "Email" });
  await expect(email).toContainText("Email goes out through 127.0.0.1:");
  await email.getByLabel("Send a test email to").fill("ops at acme");
  await email.getByRole("button", { name: "Send a test email" }).click();
  await expect(page.getByText("Send to an address like name@example.com")).toBeVisible();
  const to = `ops-${jsOn(page) ? "on" : "off"}@acme.test`;
  const seen = mailCount(to);
  await page.getByLabel("Send a test email to").fill(to);
  await page.getByRole("button", { name: "Send a test email" }).click();
  await expect(page.locator("#test-email-sent")).toContainText(`A test email went to ${to}. The mail server answered: 250`);
  await expectAccessible(page);
  expect((await nextMail(to, seen)).subject).toBe("Switchyard test email");
});

test("someone with an account joins another organization only by signing in and saying yes", async ({ page, browser }) => {
  const email = `pat-${jsOn(page) ? "on" : "off"}@elsewhere.test`;
  const password = "a quiet harbour at dawn";
  const context = () => browser.newContext({ javaScriptEnabled: jsOn(page) });

  // Globex invites Pat, who makes an account there.
  await signIn(page, "globex");
  const first = await invite(page, "globex", email, "Viewer");
  const patsFirst = await context();
  const pat = await patsFirst.newPage();
  await pat.goto(first);
  await ready(pat);
  await pat.getByLabel("Your name").fill("Pat");
  await pat.getByLabel("Password", { exact: true }).fill(password);
  await pat.getByLabel("Password again").fill(password);
  await pat.getByRole("button", { name: "Make my account and join" }).click();
  await expect(pat).toHaveURL(/\/o\/globex\/dashboard$/);
  await patsFirst.close();

  // Acme invites the same address: a link, as for anyone; Pat is not a member yet.
  const acme = await context();
  const admin = await acme.newPage();
  await signIn(admin, "acme");
  const second = await invite(admin, "acme", email, "Editor");
  expect(second).toMatch(/\/invite\/[A-Za-z0-9]{40}$/);
  await expect(admin.getByRole("row").filter({ hasText: email }).getByLabel("Role")).toHaveCount(0);

  // Pat, on another browser, opens it: signing in comes first, then the answer.
  const patsSecond = await context();
  const again = await patsSecond.newPage();
  await again.goto(second);
  await ready(again);
  await expect(again.getByRole("heading", { name: "Join Acme Inc" })).toBeVisible();
  await expectAccessible(again);
  await again.getByRole("link", { name: "Sign in to answer" }).click();
  await expect(again).toHaveURL(/\/login\?next=/);
  await again.getByLabel("Email").fill(email);
  await again.getByLabel("Password").fill(password);
  await again.getByRole("button", { name: "Sign in" }).click();
  await expect(again).toHaveURL(/\/invite\/[A-Za-z0-9]{40}$/);
  await ready(again);
  await expectAccessible(again);
  await again.getByRole("button", { name: "Join Acme Inc" }).click();
  await expect(again).toHaveURL(/\/o\/acme\/dashboard$/);
  await expect(again.getByRole("link", { name: "Pat · Editor" })).toBeVisible();
  await patsSecond.close();

  // The Admin sees them in the list now, and who joined in the audit.
  await admin.goto("/o/acme/settings");
  await ready(admin);
  await expect(admin.getByRole("row").filter({ hasText: email }).getByLabel("Role")).toHaveValue("Editor");
  await admin.goto("/o/acme/audit");
  await ready(admin);
  await expect(admin.getByRole("cell", { name: "Joined" }).first()).toBeVisible();
  await acme.close();
});

test("an Admin keeps a secret: set, listed without its value, deleted after asking", async ({ page }) => {
  const project = test.info().project.name.replace(/[^a-z]/g, "");
  const name = `CRM_TOKEN_${project.toUpperCase()}`;
  const value = `whsk_journey_${project}_value`;
  await signIn(page);
  await page.goto("/o/acme/settings#secrets");
  await ready(page);
  const secrets = page.getByRole("region", { name: "Secrets" });
  // A mistake is named next to its field, and the value is not sent back.
  await secrets.getByLabel("Secret name").fill("crm token");
  await secrets.getByLabel("Secret value").fill(value);
  await secrets.getByLabel("May be sent to").fill("crm.example.com");
  await secrets.getByRole("button", { name: "Save secret" }).click();
  await expect(page.locator("#secret_name-error")).toContainText("capitals, digits and _");
  await expect(page.getByLabel("Secret name")).toHaveValue("crm token");
  await expect(page.getByLabel("Secret value")).toHaveValue("");
  await ready(page);
  await expectAccessible(page);

  await page.getByLabel("Secret name").fill(name);
  await page.getByLabel("Secret value").fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("crm.example.com");
  await expect(row).toContainText("Ada Admin");
  expect(await page.content()).not.toContain(value);
  await ready(page);
  await expectAccessible(page);

  // Deleting asks first.
  await row.getByRole("link", { name: `Delete ${name}` }).click();
  await ready(page);
  await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText("Steps that use it will fail.");
  await page.getByRole("button", { name: "Delete for good" }).click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toHaveCount(0);
});

test("an Editor builds Deal won → POST to the CRM with a secret → an Activity from the answer, and reads the call on the run page", async ({ page, browser }) => {
  const project = test.info().project.name.replace(/[^a-z]/g, "");
  const secret = `CRM_KEY_${project.toUpperCase()}`;
  const value = `whsk_journey_${project}_crm`;
  const name = `Deal to CRM ${project} ${Date.now()}`;
  // An Admin keeps the CRM's key, for the CRM's host only.
  await signIn(page);
  await page.goto("/o/acme/settings#secrets");
  await ready(page);
  await page.getByLabel("Secret name").fill(secret);
  await page.getByLabel("Secret value").fill(value);
  await page.getByLabel("May be sent to").fill("127.0.0.1");
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(page.getByRole("row", { name: new RegExp(secret) })).toBeVisible();

  // An Editor builds the workflow without typing JSON.
  const context = await browser.newContext({ javaScriptEnabled: jsOn(page) });
  const editor = await context.newPage();
  await editor.goto("/login");
  await editor.getByLabel("Email").fill("editor@acme.test");
  await editor.getByLabel("Password").fill("switchyard-demo");
  await editor.getByRole("button", { name: "Sign in" }).click();
  await expect(editor).toHaveURL(/\/o\/acme\//);
  await editor.goto("/o/acme/workflows/new");
  await ready(editor);
  await editor.getByLabel("Name", { exact: true }).fill(name);
  await editor.getByLabel("Trigger event").fill("Deal.won");
  await editor.getByRole("button", { name: "Create workflow" }).click();
  await expect(editor.getByRole("heading", { name })).toBeVisible();
  await ready(editor);
  await editor.getByRole("link", { name: "Edit", exact: true }).click();
  await ready(editor);
  await editor.getByRole("button", { name: "Add HTTP request step" }).click();
  const call = step(editor, 1);
  await expect(call.getByRole("group", { name: "Request" })).toBeVisible();
  await ready(editor);
  const origin = new URL(editor.url()).origin.replace("localhost", "127.0.0.1");
  await call.getByLabel("Method").selectOption("POST");
  await call.getByLabel("URL").fill(`"${origin}/demo/crm/orders"`);
  const body = call.getByRole("group", { name: /Body fields/ });
  await body.getByLabel("Field", { exact: true }).first().fill("customer");
  await body.getByLabel("Value", { exact: true }).first().fill("deal.name");
  await call.getByLabel("Authentication", { exact: true }).selectOption("bearer");
  await call.getByLabel("Secret", { exact: true }).fill(secret);
  await editor.getByRole("button", { name: "Add step", exact: true }).click();
  await expect(step(editor, 2).getByLabel("Action", { exact: true })).toBeVisible();
  await ready(editor);
  await expect(call.getByLabel("URL")).toHaveValue(`"${origin}/demo/crm/orders"`);
  await expect(call.getByLabel("Secret", { exact: true })).toHaveValue(secret);
  await step(editor, 2).getByLabel("Action", { exact: true }).fill("Activity.create");
  await mapping(editor, 2, "Field").fill("subject");
  await mapping(editor, 2, "Value").fill('"CRM order " + step.0.body.id');
  await expectAccessible(editor);
  await editor.getByRole("button", { name: "Save changes" }).click();
  await expect(editor.getByRole("heading", { name })).toBeVisible();
  await ready(editor);
  await editor.getByRole("button", { name: "Activate" }).click();
  await expect(editor.locator(".page-head .badge")).toHaveText("Activated");
  await ready(editor);

  // A deal won, sent by hand: the run calls the CRM and logs its answer.
  await editor.getByText("Trigger by hand").click();
  await editor.getByRole("group", { name: "Sample Deal.won data" }).getByLabel("name", { exact: true }).fill(`Hooli ${project}`);
  await editor.getByRole("button", { name: "Trigger now" }).click();
  await expect(editor).toHaveURL(/\/o\/acme\/runs\/run_/);
  await expect(async () => {
    await editor.reload();
    await expect(editor.locator(".page-head .badge")).toHaveText("Succeeded", { timeout: 500 });
  }).toPass({ timeout: 15_000 });
  await ready(editor);
  const steps = editor.locator("ol.timeline > li");
  const host = origin.replace(/^https?:\/\//, "");
  await expect(steps.nth(0)).toContainText(`POST to ${host}/demo/crm/orders with 1 field, using the secret ${secret}`);
  await expect(steps.nth(0)).toContainText(`Bearer ••••(${secret})`);
  await expect(steps.nth(0)).toContainText("Answered 201 Created");
  await expect(steps.nth(0)).toContainText(`Hooli ${project}`);
  await expect(steps.nth(1)).toContainText("CRM order crm_");
  expect(await editor.content()).not.toContain(value);
  await expectAccessible(editor);
  await context.close();
});

test("an Admin adds a webhook endpoint, sends a test event, reads its delivery and resends it", async ({ page, baseURL }) => {
  const urlPath = `/hooks/${jsOn(page) ? "on" : "off"}`;
  const url = `http://127.0.0.1:${hooksPort(baseURL!)}${urlPath}`;
  await signIn(page);
  await page.goto("/o/acme/settings");
  await ready(page);
  const hooks = page.getByRole("region", { name: "Webhooks" });
  // A wrong URL is refused next to the field, and what was typed stays.
  await hooks.getByLabel("URL").fill("ftp://hooks.example");
  await hooks.getByLabel("Other events of this organization (optional)").fill("Deal.won");
  await hooks.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("The URL must start with https:// (or http://)")).toBeVisible();
  await expect(page.getByRole("region", { name: "Webhooks" }).getByLabel("URL")).toHaveValue("ftp://hooks.example");
  await page.getByRole("region", { name: "Webhooks" }).getByLabel("URL").fill(url);
  await page.getByRole("region", { name: "Webhooks" }).getByLabel("Description (optional)").fill("The CRM's inbox");
  await page.getByRole("button", { name: "Add endpoint" }).click();

  // Its page: the secret, shown once.
  await expect(page).toHaveURL(/\/o\/acme\/settings\/webhooks\/endpoint_[A-Za-z0-9]{8}$/);
  const endpointPage = page.url();
  const secret = (await page.locator("#endpoint-secret code.secret").innerText()).trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  await expect(page.getByText("Run.failed, Deal.won")).toBeVisible();
  await expectAccessible(page);

  // A test event: it arrives signed with that secret, and the log shows it delivered.
  await page.getByRole("button", { name: "Send a test event" }).click();
  await expect(page.locator("#endpoint-done")).toContainText("A test event is on its way");
  await expect(page.locator("#endpoint-secret")).toHaveCount(0);
  const first = await nthHook(urlPath, 0);
  expect(JSON.parse(first.body).type).toBe("Endpoint.test");
  expect(signedWith(secret, first), "the receiver's own check of the signature").toBe(true);
  await expect
    .poll(async () => {
      await page.goto(endpointPage);
      return page.locator("li.delivery-delivered").count();
    }, { timeout: 20_000 })
    .toBe(1);
  await ready(page);
  const delivery = page.locator("li.delivery-delivered").first();
  await expect(delivery).toContainText("Endpoint.test · Delivered");
  await delivery.getByText("1 attempt").click();
  await expect(delivery.getByRole("cell", { name: "200", exact: true })).toBeVisible();
  await expectAccessible(page);

  // Resend: the same webhook-id again.
  await delivery.getByRole("button", { name: "Resend" }).click();
  await expect(page.locator("#endpoint-done")).toContainText("is on its way again, with the same webhook-id");
  const second = await nthHook(urlPath, 1);
  expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
  expect(signedWith(secret, second)).toBe(true);
  await expect
    .poll(async () => {
      await page.goto(endpointPage);
      return page.getByText("2 attempts").count();
    }, { timeout: 20_000 })
    .toBe(1);

  // Filters: nothing failed.
  await page.getByLabel("Status").selectOption("Failed");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("No deliveries yet")).toBeVisible();

  // Delete, after asking.
  await page.goto(endpointPage);
  await ready(page);
  await page.getByRole("link", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Delete for good" }).click();
  await expect(page).toHaveURL(/\/o\/acme\/settings(#webhooks)?$/);
  await expect(page.getByRole("link", { name: url })).toHaveCount(0);
});
