// Renders a batch of TeX snippets with the KaTeX pinned in the npm lock.
// stdin:  {"macros": {...}, "items": [{"tex": "...", "display": true}, ...]}
// stdout: [{"html": "..."} or {"error": "KaTeX's message"}, ...] in the same order.
// One process renders the whole build's maths; the Python side caches the results.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const root = process.argv[2];
const require = createRequire(pathToFileURL(root + "/package.json"));
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { macros = {}, items = [] } = JSON.parse(input);

const results = items.map(({ tex, display }) => {
  try {
    return {
      html: katex.renderToString(tex, {
        displayMode: display,
        throwOnError: true,
        strict: "ignore",
        trust: false,
        output: "htmlAndMathml",
        macros: { ...macros },
      }),
    };
  } catch (err) {
    return { error: String(err && err.message ? err.message : err) };
  }
});
process.stdout.write(JSON.stringify(results));
