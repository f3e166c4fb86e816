// A mail server for the browser tests: it speaks SMTP on 127.0.0.1 (no TLS: the server under
// test is pointed at it with ?tls=none) and appends every message it takes to a file, one JSON
// line each ({from, to, data}), which the journeys read (tests/mail.ts). It stops when the
// process that started it (the server under test, after exec) is gone.
import net from "node:net";
import fs from "node:fs";

const [port, file, parent] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
fs.writeFileSync(file, "");

const server = net.createServer((socket) => {
  let buffer = "";
  let from = "";
  let to = [];
  let data = null;
  const say = (line) => socket.write(`${line}\r\n`);
  const address = (arg) => (arg.match(/<([^>]*)>/) ?? [null, arg.trim().split(/\s+/)[0]])[1];
  say("220 sink.test ESMTP browser-test sink");
  socket.on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let at;
    while ((at = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (data !== null) {
        if (line === ".") {
          fs.appendFileSync(file, JSON.stringify({ from, to, data }) + "\n");
          data = null;
          say("250 2.0.0 Ok: queued");
        } else {
          data += (line.startsWith(".") ? line.slice(1) : line) + "\r\n";
        }
        continue;
      }
      const upper = line.toUpperCase();
      if (upper.startsWith("EHLO")) socket.write("250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
      else if (upper.startsWith("HELO") || upper.startsWith("NOOP") || upper === "RSET") say("250 OK");
      else if (upper.startsWith("MAIL FROM:")) {
        from = address(line.slice(10));
        to = [];
        say("250 2.1.0 OK");
      } else if (upper.startsWith("RCPT TO:")) {
        to.push(address(line.slice(8)));
        say("250 2.1.5 OK");
      } else if (upper === "DATA") {
        data = "";
        say("354 End data with <CR><LF>.<CR><LF>");
      } else if (upper === "QUIT") {
        say("221 2.0.0 Bye");
        socket.end();
      } else say("502 5.5.2 Command not recognized");
    }
  });
  socket.on("error", () => {});
});
server.listen(port, "127.0.0.1");

setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 1000).unref();
