// Reads the params each figure module declares (`export const params = {...}`, or
// `export { DEFAULTS as params }`), so that the build can check content/figures.yaml against them.
//
// A module that cannot be imported (a syntax error, an import of a file or a name that does not
// exist, a throw while it loads) is reported at its own file, line and column: the author's
// mistake is in the JavaScript, not in figures.yaml.
//
// stdin:  {"figures": "<static/figures dir>", "modules": ["sinusoid-demo", ...]}
// stdout: {"<module>": {"params": {...} | null} or {"error": "...", "file", "line", "column"}}

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);

// Relative specifiers of static imports and re-exports: `from "./x.js"` and `import "./x.js"`.
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']+)\1/g;

/** {line, column} (1-based) of character `index` in `text`. */
function position(text, index) {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return { line, column: index - before.lastIndexOf("\n") };
}

/** The stack's own location, when V8 printed one: "file:///…/x.js:12" over the source line and
 *  a caret (import errors), or a frame "at … file:///…/x.js:12:5" (a throw while loading). */
function locationInStack(error) {
  const stack = String(error?.stack ?? "");
  const header = stack.match(/^(file:\/\/\S+?):(\d+)\n(.*)\n( *)\^/);
  if (header) {
    return { file: fileURLToPath(header[1]), line: Number(header[2]), column: header[4].length + 1 };
  }
  const frame = stack.match(/(file:\/\/[^\s)]+?):(\d+):(\d+)/);
  if (frame && !frame[1].endsWith("/figure_params.mjs")) {
    return { file: fileURLToPath(frame[1]), line: Number(frame[2]), column: Number(frame[3]) };
  }
  return null;
}

/** "Cannot find module '/…/lib/lateset.js' imported from /…/x.js": the import's line in x.js. */
function locationOfMissingImport(error) {
  const match = String(error?.message ?? "").match(/Cannot find (?:module|package) '([^']+)' imported from (\S+)/);
  if (!match) return null;
  const importer = match[2].startsWith("file://") ? fileURLToPath(match[2]) : match[2];
  const text = readFileSync(importer, "utf8");
  for (const found of text.matchAll(RELATIVE_IMPORT)) {
    if (resolve(dirname(importer), found[2]) === resolve(match[1])) {
      return { file: importer, ...position(text, found.index + found[0].indexOf(found[2])) };
    }
  }
  return { file: importer, line: null, column: null };
}

/** Files `file` imports, itself first, followed through relative imports. */
function importClosure(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return seen;
  seen.add(file);
  for (const found of readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
    importClosure(resolve(dirname(file), found[2]), seen);
  }
  return seen;
}

/** A syntax error that Node's import reports without a place: `node --check` each file the
 *  module imports until one fails, and read the place from its report. */
function locationOfSyntaxError(moduleFile) {
  for (const file of importClosure(moduleFile)) {
    // From stdin as a module: the file's own folder may not say "type": "module".
    const check = spawnSync(process.execPath, ["--input-type=module", "--check"], {
      input: readFileSync(file, "utf8"),
      encoding: "utf8",
    });
    if (check.status === 0) continue;
    const report = check.stderr.match(/^\[stdin\]:(\d+)\n(.*)\n( *)\^/m);
    if (report) return { file, line: Number(report[1]), column: report[3].length + 1 };
    return { file, line: null, column: null };
  }
  return null;
}

function locate(error, moduleFile) {
  return (
    locationInStack(error) ??
    locationOfMissingImport(error) ??
    (error instanceof SyntaxError ? locationOfSyntaxError(moduleFile) : null) ?? { file: moduleFile, line: null, column: null }
  );
}

const results = {};
for (const name of job.modules) {
  const file = join(job.figures, `${name}.js`);
  try {
    const module = await import(pathToFileURL(file).href);
    // JSON keeps what figures.yaml can hold: numbers, text, lists, mappings, null.
    results[name] = { params: module.params === undefined ? null : JSON.parse(JSON.stringify(module.params)) };
  } catch (error) {
    const kind = error?.name && error.name !== "Error" ? `${error.name}: ` : "";
    results[name] = { error: `${kind}${error?.message ?? error}`, ...locate(error, file) };
  }
}
process.stdout.write(JSON.stringify(results), () => process.exit(0));
