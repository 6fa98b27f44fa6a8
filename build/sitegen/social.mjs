// Rasterises the index page's figure into the site's social preview image (Open Graph, Twitter
// cards), with resvg. The drawing is the hero figure's static picture, the same SVG the page
// inlines; link previews cannot run CSS, so the custom properties it paints with arrive resolved.
//
// stdin:  {"svg": "<svg ...>...</svg>", "colours": {"--name": "#rrggbb", ...},
//          "width": 1200, "height": 630, "background": "#rrggbb", "text": "#rrggbb"}
// stdout: the PNG's bytes.

import { Resvg } from "@resvg/resvg-js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);

/** The SVG with var(--x) replaced by its colour, and the stylesheet's text and frame rules inlined. */
function standalone(svg, colours) {
  const resolved = svg.replace(/var\((--[a-z0-9-]+)\)/g, (match, name) => colours[name] ?? match);
  const style = `<style>.fig-text{font-family:"DejaVu Sans",sans-serif;font-size:12px;fill:${job.text}}`
    + `.fig-axis{stroke:${colours["--fig-axis"]}}</style>`;
  // The plot's own size comes from its viewBox; resvg fits it to the image below.
  return resolved.replace(/^<svg([^>]*)>/, (_, attributes) =>
    `<svg xmlns="http://www.w3.org/2000/svg"${attributes.replace(/\sstyle="[^"]*"/, "")}>${style}`);
}

const resvg = new Resvg(standalone(job.svg, job.colours), {
  fitTo: { mode: "height", value: job.height - 60 },
  font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  background: job.background,
});
const drawing = resvg.render();
// Centre the drawing on a card of the requested size: a second pass with the drawing as an image.
const card = `<svg xmlns="http://www.w3.org/2000/svg" width="${job.width}" height="${job.height}">`
  + `<rect width="100%" height="100%" fill="${job.background}"/>`
  + `<image x="${(job.width - drawing.width) / 2}" y="30" width="${drawing.width}" height="${drawing.height}" `
  + `href="data:image/png;base64,${Buffer.from(drawing.asPng()).toString("base64")}"/></svg>`;
process.stdout.write(new Resvg(card, { background: job.background }).render().asPng());
