// A webhook receiver for the browser tests: it answers every POST with 200 (500 when the path
// ends in /fail) and appends each request to a file, one JSON line each ({path, headers,
// body}), which the journeys read. It stops when the process that started it is gone.
import http from "node:http";
import fs from "node:fs";

const [port, file, parent] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
fs.writeFileSync(file, "");

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      fs.appendFileSync(file, JSON.stringify({ path: req.url, headers: req.headers, body }) + "\n");
      const failing = req.url.endsWith("/fail");
      res.writeHead(failing ? 500 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ received: !failing }));
    });
  })
  .listen(port, "127.0.0.1");

setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 1000).unref();
