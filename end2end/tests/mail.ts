import { expect } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";

// What the browser tests' mail server (mail-sink.mjs, started by start-server.sh) took.
const FILE = path.join(__dirname, "..", "..", "target", "e2e-mail.jsonl");

type Mail = { from: string; to: string[]; subject: string; body: string };

function decode(data: string): Mail["body"] {
  const [head, ...rest] = data.split("\r\n\r\n");
  const body = rest.join("\r\n\r\n");
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    return body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s/g, ""), "base64").toString("utf8");
  return body;
}

function all(): Mail[] {
  if (!fs.existsSync(FILE)) return [];
  return fs
    .readFileSync(FILE, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map(({ from, to, data }) => {
      const head = data.split("\r\n\r\n")[0].replace(/\r\n[ \t]/g, " ");
      const subject = (head.match(/^Subject: (.*)$/im) ?? [null, ""])[1];
      return { from, to, subject, body: decode(data) };
    });
}

/** How many messages `to` has had so far. */
export const mailCount = (to: string) => all().filter((m) => m.to.includes(to)).length;

/** Waits for the message to `to` after the first `seen`, and returns it. */
export async function nextMail(to: string, seen: number): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(() => {
      found = all().filter((m) => m.to.includes(to))[seen];
      return found !== undefined;
    }, { message: `an email to ${to}` })
    .toBe(true);
  return found!;
}

/** The first link in `mail` to a path starting with `prefix` ("/reset/"). */
export function linkIn(mail: Mail, prefix: string): string {
  const match = mail.body.match(new RegExp(`https?://\\S+${prefix.replace(/\//g, "\\/")}\\S+`));
  expect(match, `a link to ${prefix} in: ${mail.body}`).not.toBeNull();
  return match![0];
}
