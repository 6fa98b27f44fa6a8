// Records what goes wrong on a page, from before its own scripts run, in any engine.
//
// The smoke test's server puts this script first in every page's <head>: WebKit's WebDriver has
// no console log to read and no way to run a script before the page's, so the page keeps its own
// list, the same in all three engines. Caught: console.error, uncaught exceptions, unhandled
// promise rejections, resources that failed to load, and Content-Security-Policy violations.
// Warnings are kept apart: they are no failure, but the figure loader warns why a figure failed.
(() => {
  const problems = [];
  const warnings = [];
  window.__smokeProblems = problems;
  window.__smokeWarnings = warnings;
  const text = (value) => (value instanceof Error ? `${value.name}: ${value.message}` : String(value));

  const consoleWarn = console.warn.bind(console);
  console.warn = (...args) => {
    warnings.push(args.map(text).join(" "));
    consoleWarn(...args);
  };

  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    problems.push(`console error: ${args.map(text).join(" ")}`);
    consoleError(...args);
  };
  window.addEventListener("error", (event) => {
    const source = event.target;
    if (source && source !== window && (source.src || source.href)) {
      problems.push(`failed to load ${source.tagName.toLowerCase()} ${source.src || source.href}`);
    } else {
      problems.push(`uncaught exception: ${text(event.error ?? event.message)}`);
    }
  }, true); // capturing: a failed <img> or <link> does not bubble
  window.addEventListener("unhandledrejection", (event) => {
    problems.push(`unhandled rejection: ${text(event.reason)}`);
  });
  document.addEventListener("securitypolicyviolation", (event) => {
    problems.push(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "(inline)"}`);
  });
})();
