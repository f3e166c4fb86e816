// The spec's SDK examples, run as written through a small client of the REST API
// (end2end/sdk/workflow.ts) against the real server, with a key made on the settings page.

import { expect, test } from "./fixtures";
import { connect } from "../sdk/workflow";
import { makeKey } from "./helpers";

test("the spec's SDK examples and its two workflows do what the spec promises", async ({ page, baseURL }) => {
  const stamp = `${test.info().project.name} ${Date.now()}`;
  const key = await makeKey(page, `SDK ${stamp}`, ["events:write", "read", "write"]);
  const { Workflow, Event, Run } = connect(baseURL!, "acme", key);

  // Find all active workflows; get a specific one.
  const active = await Workflow.find({ status: "Activated" });
  expect(active.length).toBeGreaterThan(0);
  for (const wf of active) expect(wf.status).toBe("Activated");
  const workflow = await Workflow.get(active[0].$id);
  expect(workflow.$id).toBe(active[0].$id);
  expect(workflow.$type).toBe("Workflow");

  // Create and activate a workflow (the Lead Assignment example, as written).
  const newWorkflow = await Workflow.create({
    name: `Lead Assignment ${stamp}`,
    triggerEvent: "Lead.created",
    steps: [
      { action: "Contact.assign", mapping: { assignee: "round-robin" } },
      { action: "Activity.create", mapping: { subject: '"Follow up: " + lead.name', type: "Task" } },
    ],
    errorHandling: "Continue",
  });
  expect(newWorkflow.status).toBe("Draft");
  expect((await Workflow.activate(newWorkflow.$id)).status).toBe("Activated");

  // Check workflow health.
  const lines: string[] = [];
  for (const wf of await Workflow.find({ status: "Activated" })) {
    const successRate = wf.runCount > 0 ? wf.successCount / wf.runCount : 1;
    expect(successRate).toBeGreaterThanOrEqual(0);
    expect(successRate).toBeLessThanOrEqual(1);
    lines.push(`${wf.name}: ${(successRate * 100).toFixed(1)}% success rate`);
  }
  expect(lines).toContain(`Lead Assignment ${stamp}: 100.0% success rate`);

  // Common pattern: a deal won creates the customer, its subscription, the onboarding
  // project and the welcome call.
  const onboarding = await Workflow.create({
    name: `Customer Onboarding ${stamp}`,
    triggerEvent: "Deal.won",
    steps: [
      { action: "Customer.create", mapping: { name: "deal.name", contact: "deal.contact" } },
      { action: "Subscription.create", mapping: { plan: "deal.plan", customer: "step.0.$id" } },
      { action: "Project.create", mapping: { name: '"Onboarding: " + deal.name' } },
      { action: "Activity.create", mapping: { subject: '"Welcome call with " + deal.contact.name', type: "Call" } },
    ],
    errorHandling: "Fallback",
    timeout: 30_000,
  });
  await Workflow.activate(onboarding.$id);
  const won = await Event.send("Deal.won", { name: "Globex", plan: "pro", contact: { name: "Hank" } });
  let ours = null;
  for (const id of won.runs) {
    const run = await Run.settled(id);
    if (run.workflow.$id === onboarding.$id) ours = run;
  }
  expect(ours, "the event ran the new workflow").not.toBeNull();
  expect(ours!.status).toBe("Succeeded");
  const [customer, subscription, project, call] = ours!.steps.map((s: any) => s.output);
  expect(customer.$type).toBe("Customer");
  expect(customer.name).toBe("Globex");
  expect(subscription.customer).toBe(customer.$id);
  expect(project.name).toBe("Onboarding: Globex");
  expect(call.subject).toBe("Welcome call with Hank");
  expect(call.type).toBe("Call");

  // The Lead Assignment workflow assigns the contact the lead names, then books a task.
  const makeContact = await Workflow.create({
    name: `Sign-ups ${stamp}`,
    triggerEvent: "Signup.received",
    steps: [{ action: "Contact.create", mapping: { name: "signup.name" } }],
  });
  await Workflow.activate(makeContact.$id);
  const signup = await Event.send("Signup.received", { name: "Ada" });
  const made = await Run.settled(signup.runs[0]);
  expect(made.status).toBe("Succeeded");
  const contact = made.steps[0].output.$id;
  const lead = await Event.send("Lead.created", { name: "Ada Lovelace", contact });
  const assigned = await Run.settled(lead.runs[0]);
  expect(assigned.workflow.$id).toBe(newWorkflow.$id);
  expect(assigned.status).toBe("Succeeded");
  expect(assigned.steps[0].output.$id).toBe(contact);
  expect(assigned.steps[0].output.assignee).toBe("round-robin");
  expect(assigned.steps[1].output.subject).toBe("Follow up: Ada Lovelace");

  // Switched off again, so that other journeys see the demo as it was.
  for (const id of [newWorkflow.$id, onboarding.$id, makeContact.$id]) await Workflow.pause(id);
});
