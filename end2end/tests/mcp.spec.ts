// The MCP server, driven by the official TypeScript SDK's client over Streamable HTTP: it
// lists the tools and runs the spec's three examples; a wrong key is refused.

import { expect, test } from "./fixtures";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { makeKey } from "./helpers";

async function connect(baseURL: string, key: string) {
  const client = new Client({ name: "switchyard-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${baseURL}/~acme/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

test("an assistant lists the tools and runs the spec's search, fetch and do", async ({ page, baseURL }) => {
  const key = await makeKey(page, `MCP ${test.info().project.name} ${Date.now()}`, ["read", "write"]);
  const client = await connect(baseURL!, key);
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(["do", "fetch", "search"]);
  for (const tool of tools) {
    expect(tool.description!.length).toBeGreaterThan(40);
    expect(tool.inputSchema.type).toBe("object");
  }
  expect(Object.keys(tools.find((t) => t.name === "search")!.inputSchema.properties!)).toEqual(
    expect.arrayContaining(["type", "filter", "sort", "limit"]),
  );

  // search, exactly as the spec's example.
  const found: any = await client.callTool({
    name: "search",
    arguments: { type: "Workflow", filter: { status: "Activated" }, sort: { lastRunAt: "desc" }, limit: 20 },
  });
  expect(found.isError).toBeFalsy();
  const results = found.structuredContent.results;
  expect(results.length).toBeGreaterThan(0);
  for (const w of results) expect(w.status).toBe("Activated");
  expect(found.content[0].text).toMatch(/Workflow result/);

  // fetch, as the spec's example, with an id that exists here.
  const id = results[0].$id;
  const fetched: any = await client.callTool({ name: "fetch", arguments: { type: "Workflow", id } });
  expect(fetched.structuredContent.$id).toBe(id);

  // do, with the spec's statements as written.
  const done: any = await client.callTool({
    name: "do",
    arguments: {
      code: `const workflows = await $.Workflow.find({ status: 'Activated' })\nawait $.Workflow.trigger('${id}')`,
    },
  });
  expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
  const [find, trigger] = done.structuredContent.results;
  expect(find.action).toBe("Workflow.find");
  expect(find.result.length).toBeGreaterThan(0);
  expect(trigger.result.$id).toMatch(/^run_/);

  // The run it queued reads back through fetch.
  const run: any = await client.callTool({ name: "fetch", arguments: { type: "Run", id: trigger.result.$id } });
  expect(run.structuredContent.workflow.$id).toBe(id);

  // Bad input comes back as a tool error the assistant can read.
  const bad: any = await client.callTool({ name: "search", arguments: { type: "Robot" } });
  expect(bad.isError).toBe(true);
  expect(bad.content[0].text).toMatch(/type/);
  await client.close();
});

test("a read-only key cannot change anything and a wrong key cannot connect", async ({ page, baseURL }) => {
  const key = await makeKey(page, `MCP read ${test.info().project.name} ${Date.now()}`, ["read"]);
  const client = await connect(baseURL!, key);
  const found: any = await client.callTool({ name: "search", arguments: { type: "Workflow", limit: 1 } });
  const refused: any = await client.callTool({
    name: "do",
    arguments: { action: "Workflow.pause", id: found.structuredContent.results[0].$id },
  });
  expect(refused.isError).toBe(true);
  expect(refused.content[0].text).toMatch(/scopes do not allow/);
  await client.close();
  await expect(connect(baseURL!, "sy_wrongwrongwrongwrongwrongwrongwrongwrong12")).rejects.toThrow();
});
