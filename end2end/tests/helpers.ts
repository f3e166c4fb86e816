import { expect, Page, test } from "@playwright/test";
import { expectAccessible } from "./a11y";

// Every journey runs with JavaScript on (the pages' islands loaded) and off (plain HTML).
export const jsOn = (_page: Page) => test.info().project.use.javaScriptEnabled !== false;

export async function ready(page: Page) {
  // The islands (a run followed live) work once loaded; without JavaScript there is none.
  if (jsOn(page)) {
    await page.locator("body[data-hydrated]").waitFor();
    // The workflow editor marks itself busy while a button's change is on its way.
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  }
}

export async function signIn(page: Page, org = "acme") {
  await page.goto(`/o/${org}/workflows`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await ready(page);
  await expectAccessible(page);
  await page.getByLabel("Email").fill(`admin@${org}.test`);
  await page.getByLabel("Password").fill("switchyard-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org}/workflows$`));
  await expect(page.getByRole("heading", { name: "Workflows" })).toBeVisible();
}

/** One step of the steps editor, found by its visible legend ("Step 2"). */
export const step = (page: Page, n: number) => page.getByRole("group", { name: `Step ${n}`, exact: true });
/** The first mapping row's input of a step, by its visible label ("Field" or "Value"). */
export const mapping = (page: Page, n: number, label: "Field" | "Value") =>
  step(page, n).getByRole("group", { name: "Fields", exact: true }).getByLabel(label, { exact: true }).first();

/** Makes an API key of acme on the settings page, as an Admin would; returns its secret. */
export async function makeKey(page: Page, name: string, scopes: ("events:write" | "read" | "write")[]) {
  await signIn(page);
  await page.goto("/o/acme/settings");
  await ready(page);
  await page.getByLabel("Name", { exact: true }).fill(name);
  const boxes = { "events:write": /Send events/, read: /Read workflows/, write: /Change workflows/ } as const;
  for (const [scope, label] of Object.entries(boxes)) {
    const box = page.getByRole("checkbox", { name: label });
    if (scopes.includes(scope as keyof typeof boxes)) await box.check();
    else await box.uncheck();
  }
  await page.getByRole("button", { name: "Create key" }).click();
  return (await page.locator("#new-key code.secret").innerText()).trim();
}
