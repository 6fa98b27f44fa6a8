"""static/models/manifest.json in the text: `{{manifest:dotted.path:fmt}}` and `::: results`.

Numbers quoted in prose and captions are read from the manifest the trainers wrote, never typed
by hand, so the text always matches the models that are shipped.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.container import container_plugin

from ..context import iter_tokens, opens_with, page, pattern_rule

VALUE = re.compile(r"\{\{\s*manifest:([A-Za-z0-9_.\-]+)(?::([^}]*))?\s*\}\}")
EXPORT_HINT = "run `article export` (trainers) to write static/models/manifest.json"
RESULT_STEPS = (0, 1, 5, 10)


class ManifestError(Exception):
    """A lookup that failed; the caller adds file and line."""


class Manifest:
    def __init__(self, file: Path) -> None:
        self.file = file
        self._data: Any = None
        self._loaded = False

    @property
    def exists(self) -> bool:
        return self.file.is_file()

    @property
    def data(self) -> Any:
        if not self._loaded:
            if not self.file.is_file():
                raise ManifestError(f"{self.file.name} does not exist in {self.file.parent}")
            try:
                self._data = json.loads(self.file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{self.file} is not valid JSON: {exc}") from None
            self._loaded = True
        return self._data

    def lookup(self, path: str) -> Any:
        value = self.data
        walked: list[str] = []
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                where = ".".join(walked) or "the top level"
                options = (", ".join(map(str, value)) if isinstance(value, dict)
                           else f"indices 0..{len(value) - 1}" if isinstance(value, list) else "none")
                raise ManifestError(f"manifest has no {part!r} under {where} (has: {options})")
            walked.append(part)
        return value

    def format(self, path: str, spec: str | None) -> str:
        value = self.lookup(path)
        if isinstance(value, (dict, list)):
            raise ManifestError(f"manifest path {path} is not a single value")
        try:
            return format(value, spec or "")
        except (ValueError, TypeError) as exc:
            raise ManifestError(f"format spec {spec!r} does not apply to {value!r}: {exc}") from None


# --- inline values ---------------------------------------------------------------------------

_value_rule = pattern_rule("manifest_value", VALUE,
                           lambda match: {"path": match.group(1), "spec": match.group(2)}, opens_with("{{"))


def _resolve(state) -> None:
    ctx = page(state.env)
    manifest = ctx.site.manifest
    for token, line in iter_tokens(state.tokens):
        try:
            if token.type == "manifest_value":
                token.content = manifest.format(token.meta["path"], token.meta["spec"])
            elif token.type == "container_results_open":
                token.meta = {"html": results_table(manifest)}
        except ManifestError as exc:
            raise ctx.error(str(exc), line, EXPORT_HINT + ", or fix the path") from None


def _render_value(self, tokens, idx, options, env) -> str:
    return f'<span class="manifest-value">{html.escape(tokens[idx].content)}</span>'


# --- results table ---------------------------------------------------------------------------

# The methods in the order the article introduces them, with the names the prose uses; a model
# the list does not know keeps its manifest name and comes last.
METHOD_LABELS = {
    "pretrained": "Pretrained",  # its inner steps (0) are in the table's own column
    "maml": "MAML",
    "fomaml": "First-order MAML",
    "reptile": "Reptile",
    "imaml": "iMAML",
}


def _cell(evaluation: dict, shots: str, step: int) -> str:
    block = evaluation.get(shots) or {}
    steps = block.get("steps") or []
    if step not in steps:
        return "<td>–</td>"
    i = steps.index(step)
    mean, ci = block["mean"][i], block.get("ci95", [None] * len(steps))[i]
    if ci is None:
        return f"<td>{mean:.2f}</td>"
    return f'<td class="estimate">{mean:.2f}<span class="ci"> ± {ci:.2f}</span></td>'


def _inner_steps(model: dict) -> int | None:
    training = model.get("training") or {}
    if isinstance(training.get("inner_steps"), int):
        return training["inner_steps"]
    steps = (model.get("config") or {}).get("inner_steps")
    return steps if isinstance(steps, int) else None


def _points(model: dict) -> str:
    """The points per task a model's meta-training update used: support + query, or pooled."""
    training = model.get("training") or {}
    support, query = training.get("support_points"), training.get("query_points")
    if not isinstance(support, int) or not isinstance(query, int):
        return "–"
    return f"{support + query} pooled" if training.get("pooled") else f"{support} + {query}"


def _row_order(item: tuple[str, dict]) -> tuple:
    """Methods in the article's order; a method's variants by inner steps, then by name."""
    name, model = item
    rank = list(METHOD_LABELS).index(model.get("method")) if model.get("method") in METHOD_LABELS else len(METHOD_LABELS)
    return (rank, _inner_steps(model) or 0, name)


def _number(value: Any, unit: str = "") -> str:
    return f"{value:,.0f}{unit}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "–"


# The meta-training columns of the results table: header, and the cell of a model.
TRAINING_COLUMNS = (
    ("Inner steps", lambda m: _number(_inner_steps(m))),
    ("Iterations", lambda m: _number((m.get("training") or {}).get("iterations", m.get("iterations")))),
    ("Points per task", _points),
    ("Time", lambda m: _number((m.get("training") or {}).get("seconds", m.get("train_seconds")), "\u00a0s")),
)


def results_table(manifest: Manifest) -> str:
    """Every evaluated model's MSE (mean ± 95% CI) for each K after 0, 1, 5, 10 steps, and its
    meta-training budget: inner steps, meta-iterations, points per task (support + query, or
    pooled) and training time. Models without an evaluation (the untrained demo parameters) have
    no row."""
    models = manifest.lookup("models")
    if not isinstance(models, dict) or not models:
        raise ManifestError("the manifest lists no models")
    # Sinusoid evaluations only (keys K5, K10): the Omniglot classifier reports accuracies.
    evaluated = sorted(((n, m) for n, m in models.items()
                        if any(re.fullmatch(r"K\d+", k) for k in m.get("evaluation") or {})), key=_row_order)
    if not evaluated:
        raise ManifestError("no model in the manifest has an evaluation (run `article evaluate`)")
    shots = sorted({k for _, m in evaluated for k in m["evaluation"] if re.fullmatch(r"K\d+", k)},
                   key=lambda k: int(k[1:]))
    head1 = "".join(f'<th colspan="{len(RESULT_STEPS)}" scope="colgroup">K = {k[1:]}</th>'
                    for k in shots)
    head2 = "".join(f'<th scope="col">{s} step{"s" if s != 1 else ""}</th>'
                    for _ in shots for s in RESULT_STEPS)
    head2 += "".join(f'<th scope="col" class="training">{title}</th>' for title, _ in TRAINING_COLUMNS)
    rows = []
    for name, model in evaluated:
        label = METHOD_LABELS.get(model.get("method"), name)
        cells = "".join(_cell(model["evaluation"], k, s) for k in shots for s in RESULT_STEPS)
        training = "".join(f'<td class="training">{html.escape(cell(model))}</td>' for _, cell in TRAINING_COLUMNS)
        rows.append(f'<tr><th scope="row" data-model="{html.escape(name)}">{html.escape(label)}</th>'
                    f'{cells}{training}</tr>')
    # Wider than the text column on small screens: a focusable labelled region, so the keyboard
    # can scroll it (as the build does for code and display maths).
    return ('<div class="table-wrap" tabindex="0" role="region" aria-label="Results on sinusoids">'
            '<table class="results">\n'
            '<caption>Mean squared error on held-out sinusoid tasks (mean ± 95% confidence '
            'interval) after 0, 1, 5 and 10 fine-tuning steps with K support points; and how each '
            'model was meta-trained: its inner steps, meta-iterations, the points per task its '
            'update used (support + query, or pooled for the baseline) and its training time '
            '(wall clock on one CPU thread, compilation included).</caption>\n'
            f'<thead><tr><th rowspan="2" scope="col">Model</th>{head1}'
            f'<th colspan="{len(TRAINING_COLUMNS)}" scope="colgroup" class="training">Meta-training</th></tr>\n'
            f'<tr>{head2}</tr></thead>\n'
            f'<tbody>\n' + "\n".join(rows) + '\n</tbody>\n</table></div>\n')


def _validate_results(params: str, *args) -> bool:
    return params.strip() == "results"


def _render_results(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    return token.meta["html"] if token.nesting == 1 else ""


def manifest_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "manifest_value", _value_rule)
    container_plugin(md, "results", validate=_validate_results, render=_render_results)
    md.core.ruler.push("resolve_manifest", _resolve)
    md.add_render_rule("manifest_value", _render_value)
