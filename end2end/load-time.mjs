// The first page's load in Chromium, with an empty cache: the sign-in page until its load
// event and until it is hydrated (the app's `data-hydrated` mark), and the bytes it fetched.
// Over loopback, and over a throttled link (20 Mbit/s down, 5 up, 40 ms round trip).
//
//   node load-time.mjs http://127.0.0.1:3000 [runs] [accept-encoding]
//
// An accept-encoding of `identity` asks for no compression (what a server without a
// compression layer sends), `gzip` for gzip only; by default Chromium asks for brotli too.
import { chromium } from "@playwright/test";

const [, , base = "http://127.0.0.1:3000", runsArg = "5", encoding] = process.argv;
const runs = Number(runsArg);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(throttled) {
  const context = await browser.newContext(
    encoding ? { extraHTTPHeaders: { "Accept-Encoding": encoding } } : {},
  );
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (throttled) {
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 40,
      downloadThroughput: (20 * 1024 * 1024) / 8,
      uploadThroughput: (5 * 1024 * 1024) / 8,
    });
  }
  // Everything fetched, and the bundle alone (script, wasm and its chunks under /pkg/).
  let bytes = 0;
  let bundle = 0;
  const urls = new Map();
  cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, e.response.url));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    const url = urls.get(e.requestId) ?? "";
    if (url.includes("/pkg/") && !url.endsWith(".css")) bundle += e.encodedDataLength;
  });
  const start = Date.now();
  await page.goto(`${base}/login`, { waitUntil: "load" });
  const loaded = Date.now() - start;
  await page.waitForSelector("body[data-hydrated=true]", { timeout: 60_000 });
  const hydrated = Date.now() - start;
  await context.close();
  return { loaded, hydrated, bytes, bundle };
}

for (const throttled of [false, true]) {
  const results = [];
  await once(throttled); // warms the server and the browser's own start-up
  for (let i = 0; i < runs; i++) results.push(await once(throttled));
  const link = throttled ? "20 Mbit/s, 40 ms" : "loopback";
  console.log(
    `${link}: load ${median(results.map((r) => r.loaded))} ms, hydrated ${median(
      results.map((r) => r.hydrated),
    )} ms, ${Math.round(median(results.map((r) => r.bytes)) / 1024)} KiB transferred, of which the bundle ${Math.round(
      median(results.map((r) => r.bundle)) / 1024,
    )} KiB (median of ${runs})`,
  );
}
await browser.close();
