// Numbers next to a figure: small matrices and labelled values, as HTML (selectable, readable by
// screen readers, the same in the page and in the static picture). Every number shown here is a
// graph's output handed in by the figure; nothing is computed.

const DIGITS = 3;

/** A number as the figures print it: fixed digits, a true minus sign, no "-0.000". */
export function formatNumber(value, digits = DIGITS) {
  const text = Number(value).toFixed(digits);
  return (/^-0\.?0*$/.test(text) ? text.slice(1) : text).replace("-", "−");
}

/**
 * matrixView(parent, {label, rows = 2, columns = 2, digits, labelBelow = false}) -> {element, set(values)}
 *   A labelled matrix of numbers (a <table> between square brackets); values row-major. The label
 *   stands left of the matrix, or under it with `labelBelow` (for matrices written in a row as a
 *   product). Its look is static/css/figures/landscapes.css's (.figure-matrix).
 */
export function matrixView(parent, { label, rows = 2, columns = 2, digits = DIGITS, labelBelow = false }) {
  const figure = document.createElement("div");
  figure.className = labelBelow ? "figure-matrix figure-matrix-below" : "figure-matrix";
  const caption = document.createElement("span");
  caption.className = "figure-matrix-label";
  caption.textContent = label;
  const table = document.createElement("table");
  table.className = "readout figure-matrix-brackets";
  table.setAttribute("aria-label", label);
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const tr = document.createElement("tr");
    for (let c = 0; c < columns; c++) {
      const td = document.createElement("td");
      tr.append(td);
      cells.push(td);
    }
    table.append(tr);
  }
  figure.append(caption, table);
  parent.append(figure);
  return {
    element: figure,
    set(values) {
      cells.forEach((cell, i) => {
        cell.textContent = formatNumber(values[i], digits);
      });
    },
  };
}
