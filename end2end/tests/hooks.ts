import { expect } from "@playwright/test";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// What the browser tests' webhook receiver (hook-receiver.mjs, started by start-server.sh) got.
const FILE = path.join(__dirname, "..", "..", "target", "e2e-hooks.jsonl");

type Hook = { path: string; headers: Record<string, string>; body: string };

/** The port the receiver listens on, beside the server's. */
export const hooksPort = (baseURL: string) => Number(new URL(baseURL).port) + 3;

function all(): Hook[] {
  if (!fs.existsSync(FILE)) return [];
  return fs
    .readFileSync(FILE, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Waits for the `n`th request (from 0) to `urlPath`, and returns it. */
export async function nthHook(urlPath: string, n: number): Promise<Hook> {
  let found: Hook | undefined;
  await expect
    .poll(() => {
      found = all().filter((h) => h.path === urlPath)[n];
      return found !== undefined;
    }, { message: `delivery ${n} to ${urlPath}`, timeout: 20_000 })
    .toBe(true);
  return found!;
}

/** Whether `hook` carries a Standard Webhooks signature made with `secret`: checked here with
 * Node's own HMAC, not by Switchyard's signer. */
export function signedWith(secret: string, hook: Hook): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = hook.headers["webhook-id"];
  const stamp = hook.headers["webhook-timestamp"];
  const expected = crypto.createHmac("sha256", key).update(`${id}.${stamp}.${hook.body}`).digest("base64");
  return (hook.headers["webhook-signature"] ?? "").split(" ").includes(`v1,${expected}`);
}
