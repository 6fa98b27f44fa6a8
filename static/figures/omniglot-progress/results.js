// Published one-shot accuracies on Omniglot for the figure "omniglot-progress", each as its paper
// reports it, with the table it comes from. Nothing here is computed: the figure draws these
// numbers as they stand. tests/site/test_site_omniglot_progress.py checks that every bibkey is in
// content/references.bib.
//
// ways: "5" is 5-way 1-shot, "20" is 20-way 1-shot; accuracy in percent and ci95 the +/- the paper
// gives (null where it gives none), both as the paper prints them (so "92.0" keeps its digit). A
// method missing from a mode did not report it.
//
// Protocols differ, and the notes say how: Koch et al. evaluated Lake et al.'s within-alphabet
// 20-way task, not the split by character the later papers share; Santoro et al. report the
// accuracy on the second presentation of each class in an episode of five classes; Nichol et al.'s
// rows are the "+ Transduction" ones (batch normalisation over the whole query batch, as in MAML's
// own evaluation).

// Family colours stay clear of the methods' palette (MAML's blue marks our classifier).
export const FAMILIES = {
  metric: { name: "metric-based", series: 5 },
  model: { name: "model-based", series: 6 },
  optimisation: { name: "optimisation-based", series: 3 },
};

export const RESULTS = [
  {
    id: "siamese", method: "Siamese networks", family: "metric", bibkey: "koch2015", cite: "Koch et al. 2015", year: 2015,
    ways: { "20": { accuracy: "92.0", ci95: null, table: "Table 2", note: "Lake et al.'s within-alphabet task" } },
  },
  {
    id: "mann", method: "Memory-augmented network (MANN)", family: "model", bibkey: "santoro2016", cite: "Santoro et al. 2016", year: 2016,
    ways: { "5": { accuracy: "82.8", ci95: null, table: "Table 1", note: "second presentation of a class in an episode of five classes" } },
  },
  {
    id: "matching", method: "Matching networks", family: "metric", bibkey: "vinyals2016", cite: "Vinyals et al. 2016", year: 2016,
    ways: { "5": { accuracy: "98.1", ci95: null, table: "Table 1" }, "20": { accuracy: "93.8", ci95: null, table: "Table 1" } },
  },
  {
    id: "metanet", method: "Meta networks", family: "model", bibkey: "munkhdalai2017", cite: "Munkhdalai and Yu 2017", year: 2017,
    ways: { "5": { accuracy: "98.95", ci95: null, table: "Table 1" }, "20": { accuracy: "97.0", ci95: null, table: "Table 1" } },
  },
  {
    id: "protonet", method: "Prototypical networks", family: "metric", bibkey: "snell2017", cite: "Snell et al. 2017", year: 2017,
    ways: { "5": { accuracy: "98.8", ci95: null, table: "Table 1" }, "20": { accuracy: "96.0", ci95: null, table: "Table 1" } },
  },
  {
    id: "maml", method: "MAML", family: "optimisation", bibkey: "finn2017", cite: "Finn et al. 2017", year: 2017,
    ways: { "5": { accuracy: "98.7", ci95: "0.4", table: "Table 1" }, "20": { accuracy: "95.8", ci95: "0.3", table: "Table 1" } },
  },
  {
    id: "fomaml", method: "First-order MAML", family: "optimisation", bibkey: "nichol2018", cite: "Nichol et al. 2018", year: 2018,
    ways: {
      "5": { accuracy: "98.3", ci95: "0.5", table: "Table 2", note: "row \u201c1st-order MAML + Transduction\u201d" },
      "20": { accuracy: "89.4", ci95: "0.5", table: "Table 2", note: "row \u201c1st-order MAML + Transduction\u201d" },
    },
  },
  {
    id: "reptile", method: "Reptile", family: "optimisation", bibkey: "nichol2018", cite: "Nichol et al. 2018", year: 2018,
    ways: {
      "5": { accuracy: "97.68", ci95: "0.04", table: "Table 2", note: "row \u201cReptile + Transduction\u201d" },
      "20": { accuracy: "89.43", ci95: "0.14", table: "Table 2", note: "row \u201cReptile + Transduction\u201d" },
    },
  },
];

/** People on the 20-way one-shot task: an error rate of 4.5% (Lake et al. 2015, in the text). */
export const HUMAN = {
  method: "People", bibkey: "lake2015", cite: "Lake et al. 2015",
  ways: { "20": { accuracy: "95.5", table: "text: 4.5% errors" } },
};

/** Where our classifier's point is drawn (the year this project measured it). */
export const OUR_YEAR = 2026;
