"""Claims that check themselves: `{{claim: <condition>}}` in a sentence that compares results.

A sentence such as "Reptile ends far better than the pretrained model" is true of the models
that are shipped today; a retrain can make it false while every number around it updates. The
author writes the comparison the sentence makes next to it,

    ... far better than the pretrained one.{{claim: models.reptile.evaluation.K5.mean.10
    < 0.5 * models.pretrained.evaluation.K5.mean.10}}

and the build evaluates it against static/models/manifest.json (the paths `{{manifest:...}}`
prints). The marker renders to nothing. A claim that does not hold stops the build with the
file, the line, the sentence, and every path with its value.

The condition is parsed by a tiny grammar, never by Python's eval:

    claim       := comparison ("and" comparison)*
    comparison  := sum (("<" | "<=" | ">" | ">=" | "==") sum)+   a < b < c chains, as in maths
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := "-" unary | number | path | "abs(" sum ")" | "(" sum ")"
    path        := name ("." segment)*     a manifest path; segments may be indices: mean.10
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from ..context import iter_tokens, opens_with, page, pattern_rule
from .manifest import VALUE as MANIFEST_VALUE, Manifest, ManifestError

MARKER = re.compile(r"\{\{\s*claim:(.*?)\}\}", re.S)
TOKEN = re.compile(r"""\s*(?:
    (?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![A-Za-z0-9_]))
  | (?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op><=|>=|==|[<>()*/+-])
)""", re.X)
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq}  # for counts and settings (iterations, inner steps), not measured values
ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
SYNTAX_HINT = ("a claim is `{{claim: A < B}}` with <, <=, >, >= or == between manifest paths or "
               "numbers, `+ - * /`, `abs(...)` and parentheses; join several with `and`")
FAILED_HINT = ("the models changed or the sentence overstates them: rewrite the sentence to say "
               "what the numbers say, and its condition with it")
# Where a sentence ends: ., ! or ? before a space or the end (a decimal point has a digit after).
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


class ClaimSyntaxError(Exception):
    """A condition the grammar does not accept; the caller adds file and line."""


# --- the grammar -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Number:
    value: float

    def text(self) -> str:
        return format(self.value, "g")


@dataclass(frozen=True)
class Path:
    path: str

    def text(self) -> str:
        return self.path


@dataclass(frozen=True)
class Call:
    """abs(x): the only function, for "within 1 %" (`abs(a - b) <= 0.01 * b`)."""
    argument: "Expression"

    def text(self) -> str:
        return f"abs({self.argument.text()})"


@dataclass(frozen=True)
class Negation:
    operand: "Expression"

    def text(self) -> str:
        return f"-{self.operand.text()}"


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Expression"
    right: "Expression"

    def text(self) -> str:
        return f"({self.left.text()} {self.op} {self.right.text()})"


Expression = Number | Path | Call | Negation | Binary


@dataclass(frozen=True)
class Comparison:
    """`sides[0] ops[0] sides[1] ops[1] sides[2] ...`: every adjacent pair must hold."""
    sides: tuple[Expression, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    source: str
    comparisons: tuple[Comparison, ...]

    @property
    def paths(self) -> list[str]:
        """The manifest paths the condition reads, in order of appearance, each once."""
        found: list[str] = []
        for comparison in self.comparisons:
            for side in comparison.sides:
                for path in _paths(side):
                    if path not in found:
                        found.append(path)
        return found


def _paths(expression: Expression) -> list[str]:
    if isinstance(expression, Path):
        return [expression.path]
    if isinstance(expression, Call):
        return _paths(expression.argument)
    if isinstance(expression, Negation):
        return _paths(expression.operand)
    if isinstance(expression, Binary):
        return _paths(expression.left) + _paths(expression.right)
    return []


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = TOKEN.match(source, pos)
        if not match or match.end() == pos:
            rest = source[pos:].strip()
            raise ClaimSyntaxError(f"cannot read {rest[:20]!r} in the claim `{source.strip()}`")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source.strip()
        self.tokens = _tokens(source)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("the claim ends too early")
        self.pos += 1
        return token

    def error(self, message: str) -> ClaimSyntaxError:
        return ClaimSyntaxError(f"{message} in the claim `{self.source}`")

    def condition(self) -> Condition:
        if not self.tokens:
            raise ClaimSyntaxError("the claim is empty")
        comparisons = [self.comparison()]
        while self.peek() == ("path", "and"):
            self.take()
            comparisons.append(self.comparison())
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return Condition(self.source, tuple(comparisons))

    def comparison(self) -> Comparison:
        sides, ops = [self.sum()], []
        while self.peek() is not None and self.peek()[1] in COMPARISONS:
            ops.append(self.take()[1])
            sides.append(self.sum())
        if not ops:
            found = f"{self.peek()[1]!r}" if self.peek() is not None else "the end"
            raise self.error(f"expected a comparison (<, <=, >, >=, ==), found {found}")
        return Comparison(tuple(sides), tuple(ops))

    def sum(self) -> Expression:
        left = self.product()
        while self.peek() is not None and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = Binary(op, left, self.product())
        return left

    def product(self) -> Expression:
        left = self.unary()
        while self.peek() is not None and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            left = Binary(op, left, self.unary())
        return left

    def unary(self) -> Expression:
        kind, text = self.take()
        if text == "-" and kind == "op":
            return Negation(self.unary())
        if kind == "number":
            return Number(float(text))
        if text == "(":
            inner = self.sum()
            self.expect(")")
            return inner
        if kind == "path" and text == "abs" and self.peek() == ("op", "("):
            self.take()
            inner = self.sum()
            self.expect(")")
            return Call(inner)
        if kind == "path" and text != "and":
            return Path(text)
        raise self.error(f"expected a number, a manifest path or `(`, not {text!r}")

    def expect(self, text: str) -> None:
        token = self.peek()
        if token is None or token[1] != text:
            raise self.error(f"expected `{text}`")
        self.take()


def parse_condition(source: str) -> Condition:
    """The condition of one claim, or ClaimSyntaxError saying what the grammar could not read."""
    return _Parser(source).condition()


# --- evaluation --------------------------------------------------------------------------------

@dataclass
class Verdict:
    holds: bool
    values: dict[str, float] = field(default_factory=dict)  # manifest path -> value
    failed: str = ""                                         # the first pair that does not hold


def _number(manifest: Manifest, path: str) -> float:
    value = manifest.lookup(path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ManifestError(f"manifest path {path} is not a number (it holds {value!r})")
    return float(value)


def _value(expression: Expression, values: dict[str, float]) -> float:
    if isinstance(expression, Number):
        return expression.value
    if isinstance(expression, Path):
        return values[expression.path]
    if isinstance(expression, Call):
        return abs(_value(expression.argument, values))
    if isinstance(expression, Negation):
        return -_value(expression.operand, values)
    left, right = _value(expression.left, values), _value(expression.right, values)
    if expression.op == "/" and right == 0:
        raise ManifestError(f"division by zero in {expression.text()}")
    return ARITHMETIC[expression.op](left, right)


def _shown(expression: Expression, value: float) -> str:
    text = expression.text()
    return text if isinstance(expression, Number) else f"{text.strip('()')} = {value:.6g}"


def evaluate(condition: Condition, manifest: Manifest) -> Verdict:
    values = {path: _number(manifest, path) for path in condition.paths}
    for comparison in condition.comparisons:
        sides = [_value(side, values) for side in comparison.sides]
        for i, op in enumerate(comparison.ops):
            if not COMPARISONS[op](sides[i], sides[i + 1]):
                left, right = comparison.sides[i], comparison.sides[i + 1]
                failed = (f"{sides[i]:.6g} {op} {sides[i + 1]:.6g} is false "
                          f"(left: {_shown(left, sides[i])}; right: {_shown(right, sides[i + 1])})")
                return Verdict(False, values, failed)
    return Verdict(True, values)


# --- the sentence a claim guards ---------------------------------------------------------------

def guarded_sentence(source: str, start: int, end: int, manifest: Manifest) -> str:
    """The sentence of `source` (a paragraph's Markdown) that the marker at start..end sits in,
    or the one it directly follows when it comes right after the sentence's full stop; other
    markers are dropped and `{{manifest:...}}` values printed, as the reader sees them."""
    before = source[:start].rstrip()
    if before and before[-1] in ".!?" and SENTENCE_END.match(before, len(before) - 1):
        stop = len(before)
    else:
        after = SENTENCE_END.search(source, end)
        stop = after.end() if after else len(source)
    ends = [m.end() for m in SENTENCE_END.finditer(source, 0, stop - 1)]
    sentence = source[ends[-1] if ends else 0:stop]
    sentence = MARKER.sub("", sentence)
    sentence = MANIFEST_VALUE.sub(lambda m: _printed(manifest, m), sentence)
    return " ".join(sentence.split())


def _printed(manifest: Manifest, match: re.Match) -> str:
    try:
        return manifest.format(match.group(1), match.group(2))
    except ManifestError:
        return match.group(0)


# --- the Markdown plugin -----------------------------------------------------------------------

_claim_rule = pattern_rule("claim", MARKER, lambda match: {"expression": match.group(1)}, opens_with("{{"))


def _check(state) -> None:
    ctx = page(state.env)
    checked = state.env.setdefault("claims", [])
    parent = None
    for token, line in iter_tokens(state.tokens):
        if token.type == "inline":
            parent = token
        if token.type != "claim":
            continue
        try:
            condition = parse_condition(token.meta["expression"])
        except ClaimSyntaxError as exc:
            raise ctx.error(str(exc), line, SYNTAX_HINT) from None
        manifest = ctx.site.manifest
        try:
            verdict = evaluate(condition, manifest)
        except ManifestError as exc:
            raise ctx.error(f"{exc} (in the claim `{condition.source}`)", line,
                            "fix the path; the claim reads the paths `{{manifest:...}}` prints") from None
        if not verdict.holds:
            sentence = guarded_sentence(parent.content if parent else "", token.meta["pos"],
                                        token.meta["end"], manifest)
            values = "\n".join(f"    {path} = {value:.6g}" for path, value in verdict.values.items())
            raise ctx.error(
                f"a claim does not hold for the models in {ctx.site.project.display(manifest.file)}\n"
                f"  sentence: {sentence}\n  claim: {condition.source}\n"
                f"  {verdict.failed}\n  values:\n{values}", line, FAILED_HINT)
        checked.append(condition)


def checked_claims(env: dict) -> int:
    """How many claims a parsed page checked (they all held, or the parse raised)."""
    return len(env.get("claims", ()))


def claims_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("link", "claim", _claim_rule)
    md.core.ruler.push("check_claims", _check)
    md.add_render_rule("claim", lambda self, tokens, idx, options, env: "")
