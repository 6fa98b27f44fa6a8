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
 * matrixView(parent, {label, rows = 2, columns = 2, digits}) -> {element, set(values)}
 *   A labelled matrix of numbers (a <table> with bracket borders); values row-major.
 */
export function matrixView(parent, { label, rows = 2, columns = 2, digits = DIGITS }) {
  const figure = document.createElement("div");
  figure.className = "figure-matrix";
  Object.assign(figure.style, { display: "inline-flex", alignItems: "center", gap: "0.4rem", fontFamily: "var(--font-ui)", fontSize: "0.9rem" });
  const caption = document.createElement("span");
  caption.textContent = label;
  const table = document.createElement("table");
  table.className = "readout";
  table.setAttribute("aria-label", label);
  Object.assign(table.style, { borderLeft: "2px solid currentColor", borderRight: "2px solid currentColor", borderCollapse: "separate", borderSpacing: "0.5rem 0.1rem", margin: "0", fontVariantNumeric: "tabular-nums" });
  const cells = [];
  for (let r = 0; r < rows; r++) {
    const tr = document.createElement("tr");
    for (let c = 0; c < columns; c++) {
      const td = document.createElement("td");
      Object.assign(td.style, { textAlign: "right", padding: "0", border: "0" });
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
