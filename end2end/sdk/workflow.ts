// A small client of Switchyard's REST API, written against PRODUCT.md's REST section, shaped
// like the spec's SDK (`Workflow.find`, `get`, `create`, `activate`, `trigger`), so that the
// spec's examples run as written.

export type Resource = { $id: string; $type: string; [field: string]: any };

export class ApiError extends Error {
  constructor(public status: number, public body: any) {
    super(`${status}: ${body?.error?.message ?? JSON.stringify(body)}`);
  }
}

export function connect(baseUrl: string, org: string, key: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${baseUrl}/~${org}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed;
  };

  const Workflow = {
    /** Every workflow the filter lets through (MongoDB-style), walking the pages. */
    async find(filter: object = {}, sort = "-$createdAt"): Promise<Resource[]> {
      const found: Resource[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ filter: JSON.stringify(filter), sort, limit: "100" });
        if (cursor) query.set("cursor", cursor);
        const page = await call("GET", `/workflows?${query}`);
        found.push(...page.results);
        cursor = page.hasMore ? page.cursor : null;
      } while (cursor);
      return found;
    },
    get: (id: string): Promise<Resource> => call("GET", `/workflows/${id}`),
    create: (fields: object): Promise<Resource> => call("POST", "/workflows", fields),
    update: (id: string, fields: object): Promise<Resource> => call("PUT", `/workflows/${id}`, fields),
    activate: (id: string): Promise<Resource> => call("POST", `/workflows/${id}/activate`),
    pause: (id: string): Promise<Resource> => call("POST", `/workflows/${id}/pause`),
    trigger: (id: string, data?: object): Promise<Resource> => call("POST", `/workflows/${id}/trigger`, data ?? {}),
  };
  const Event = {
    send: (type: string, data: object): Promise<{ $id: string; runs: string[] }> =>
      call("POST", "/events", { type, data }),
  };
  const Run = {
    get: (id: string): Promise<Resource> => call("GET", `/runs/${id}`),
    /** The run once it has ended, asking every 200 ms for at most `ms`. */
    async settled(id: string, ms = 20_000): Promise<Resource> {
      const until = Date.now() + ms;
      for (;;) {
        const run = await call("GET", `/runs/${id}`);
        if (!["Queued", "Running"].includes(run.status) || Date.now() > until) return run;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
  return { Workflow, Event, Run };
}
