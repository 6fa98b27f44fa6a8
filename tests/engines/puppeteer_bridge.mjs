// Drives one browser for the Python smoke test through puppeteer-core: Chromium over the Chrome
// DevTools Protocol, Firefox over WebDriver BiDi (which Firefox speaks natively, so no driver
// binary is needed).
//
//   node puppeteer_bridge.mjs <chrome|firefox> <executable>
//
// Reads one JSON command a line on stdin and answers each with one JSON line on stdout:
//   {"id": 1, "command": "open", "url": "..."}            -> {"id": 1, "value": null}
//   {"id": 2, "command": "evaluate", "expression": "..."} -> {"id": 2, "value": <JSON result>}
//   {"id": 3, "command": "problems"}                      -> {"id": 3, "value": ["...", ...]}
// and {"id": n, "error": "..."} when a command fails. The browser closes when stdin does.
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const [browserName, executablePath] = process.argv.slice(2);
const VIEWPORT = { width: 1280, height: 900 };
// Without the networking flags Chromium keeps trying hosts this machine cannot reach.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-quic"];

const browser = await puppeteer.launch({
  browser: browserName,
  executablePath,
  headless: true,
  args: browserName === "chrome" ? CHROMIUM_ARGS : [],
  defaultViewport: VIEWPORT,
  // A step may wait on a slow engine for minutes; the Python side keeps its own deadline.
  protocolTimeout: 600_000,
});
const page = await browser.newPage();

// What the engine itself reports: the page's recorder (recorder.js) cannot see the browser's own
// console messages, such as a blocked module or a refused stylesheet.
const problems = [];
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message ?? error}`));
page.on("requestfailed", (request) => {
  const reason = request.failure()?.errorText ?? "";
  // The browser cancelling its own request (leaving the page) is not a failure of the site.
  if (/ABORTED|NS_BINDING_ABORTED/.test(reason)) return;
  problems.push(`request failed: ${request.url()} (${reason})`);
});

const commands = {
  async open({ url }) {
    await page.goto(url, { waitUntil: "load", timeout: 120_000 });
    return null;
  },
  evaluate: ({ expression }) => page.evaluate(expression),
  problems: () => problems.splice(0),
};

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
process.stdout.write(`${JSON.stringify({ ready: await browser.version() })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { id, command, ...args } = JSON.parse(line);
  try {
    reply({ id, value: (await commands[command](args)) ?? null });
  } catch (error) {
    reply({ id, error: String(error?.message ?? error) });
  }
}
await browser.close();
