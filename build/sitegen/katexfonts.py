"""Which KaTeX font faces the built pages need, and which characters each face must draw.

KaTeX's HTML picks fonts only through katex.css: `.katex` sets KaTeX_Main, classes such as
`mathnormal`, `mathbb` or `delimsizing size2` switch family, weight or style. This module reads
those rules from the stylesheet itself (so a KaTeX upgrade needs no table here), replays the
cascade over the `.katex-html` part of every page, and hands back, per @font-face, the characters
drawn with it. A face that draws nothing is never fetched by a browser, so its file and its
@font-face rule can go. The hidden MathML copy is not drawn and is not counted.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .formulas import formula_spans

# ---- the stylesheet ------------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    """One @font-face: family, weight, style, and the font file it names (relative URL)."""
    family: str
    weight: int
    style: str  # "normal" | "italic"
    url: str
    rule: str   # the rule's text, to drop it from the stylesheet when the face goes


@dataclass(frozen=True)
class Compound:
    tag: str | None
    classes: frozenset[str]


@dataclass(frozen=True)
class Selector:
    """A selector of compounds joined by ' ' or '>' (all katex.css needs for its font rules)."""
    parts: tuple[tuple[str, Compound], ...]  # (combinator to the left, compound), leftmost first
    specificity: tuple[int, int] = (0, 0)    # (classes, tags)


@dataclass(frozen=True)
class FontRule:
    selector: Selector
    order: int
    family: str | None = None
    weight: int | None = None
    style: str | None = None
    content: str = ""  # characters ::before/::after draws (counters as digits)


@dataclass
class Stylesheet:
    key: str  # digest of the CSS text (page scans are memoised per stylesheet)
    faces: list[Face] = field(default_factory=list)
    rules: list[FontRule] = field(default_factory=list)


FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
RULE = re.compile(r"([^{}@]+)\{([^{}]*)\}")
COMPOUND = re.compile(r"^([a-zA-Z][\w-]*)?((?:\.[\w-]+)*)$")


def _weight(value: str) -> int:
    value = value.strip().lower()
    named = {"": 400, "normal": 400, "lighter": 400, "bold": 700, "bolder": 700}
    return named[value] if value in named else int(value)


def _declarations(body: str) -> dict[str, str]:
    out = {}
    for item in body.split(";"):
        if ":" in item:
            name, value = item.split(":", 1)
            out[name.strip().lower()] = value.strip()
    return out


def _first_family(value: str) -> str:
    return value.split(",")[0].strip().strip("\"'")


def _parse_selector(text: str) -> Selector | None:
    """None for selectors this small matcher does not understand (attribute, :not(), …)."""
    text = re.sub(r"::?(?:before|after)$", "", text.strip())
    tokens = re.findall(r">|[^\s>]+", text)
    parts, combinator = [], " "
    for token in tokens:
        if token == ">":
            combinator = ">"
            continue
        match = COMPOUND.match(token)
        if not match:
            return None
        classes = frozenset(c for c in match.group(2).split(".") if c)
        parts.append((combinator, Compound(match.group(1), classes)))
        combinator = " "
    if not parts:
        return None
    return Selector(tuple(parts), (sum(len(c.classes) for _, c in parts),
                                   sum(c.tag is not None for _, c in parts)))


def _font_shorthand(value: str) -> tuple[str, int, str]:
    """`font: [style] [weight] size[/line-height] family, …` (what `.katex` uses)."""
    match = re.match(r"((?:[a-z0-9-]+\s+)*?)[\d.]+[a-z%]*(?:/\S+)?\s+(.+)$", value.strip())
    if not match:
        raise ValueError(f"unexpected font shorthand: {value}")
    words = match.group(1).split()
    weight = next((_weight(w) for w in words if w in ("bold", "bolder") or w.isdigit()), 400)
    style = "italic" if "italic" in words or "oblique" in words else "normal"
    return _first_family(match.group(2)), weight, style


def _content_chars(value: str) -> str:
    literal = "".join(re.findall(r'"([^"]*)"', value))
    return literal + ("0123456789" if "counter(" in value else "")


def parse_stylesheet(css: str) -> Stylesheet:
    sheet = Stylesheet(hashlib.sha256(css.encode()).hexdigest())
    for match in FONT_FACE.finditer(css):
        decl = _declarations(match.group(0)[len("@font-face{"):-1])
        url = re.search(r"url\(([^)]+)\)", decl.get("src", ""))
        if url:
            sheet.faces.append(Face(_first_family(decl["font-family"]),
                                    _weight(decl.get("font-weight", "400")),
                                    "italic" if decl.get("font-style") in ("italic", "oblique")
                                    else "normal", url.group(1).strip("\"'"), match.group(0)))
    rest = FONT_FACE.sub("", css)
    for order, match in enumerate(RULE.finditer(rest)):
        decl = _declarations(match.group(2))
        family = weight = style = None
        if "font" in decl:
            family, weight, style = _font_shorthand(decl["font"])
        if "font-family" in decl:
            family = _first_family(decl["font-family"])
        if "font-weight" in decl:
            weight = _weight(decl["font-weight"])
        if "font-style" in decl:
            style = "italic" if decl["font-style"] in ("italic", "oblique") else "normal"
        content = _content_chars(decl["content"]) if "content" in decl else ""
        if family is None and weight is None and style is None and not content:
            continue
        for text in match.group(1).split(","):
            if any(p in text for p in ("::before", "::after", ":before", ":after")) != bool(content):
                continue  # font rules on elements; content rules on their pseudo-elements
            selector = _parse_selector(text)
            if selector is None:
                raise ValueError(f"katex.css selector not understood: {text.strip()}")
            sheet.rules.append(FontRule(selector, order, family, weight, style, content))
    return sheet


def without_faces(css: str, faces: Iterable[Face]) -> str:
    for face in faces:
        css = css.replace(face.rule, "")
    return css


# ---- the pages -----------------------------------------------------------------------------


@dataclass
class _Element:
    tag: str
    classes: frozenset[str]
    family: str
    weight: int
    style: str
    drawn: bool  # inside .katex-html


def _fits(compound: Compound, element: _Element) -> bool:
    return (compound.tag is None or compound.tag == element.tag) and \
        compound.classes <= element.classes


def _matches(selector: Selector, chain: list[_Element], index: int | None = None,
             position: int | None = None) -> bool:
    """Right-to-left match of `selector` against chain[-1] with chain[:-1] as its ancestors."""
    index = len(selector.parts) - 1 if index is None else index
    position = len(chain) - 1 if position is None else position
    combinator, compound = selector.parts[index]
    if not _fits(compound, chain[position]):
        return False
    if index == 0:
        return True
    if combinator == ">":
        return position > 0 and _matches(selector, chain, index - 1, position - 1)
    return any(_matches(selector, chain, index - 1, p) for p in range(position - 1, -1, -1))


class _RuleIndex:
    """Rules by one class (or the tag) of their rightmost compound: most KaTeX spans (`mord`,
    `vlist`, …) then meet no candidate rule at all, which keeps a whole-site scan in milliseconds."""

    def __init__(self, rules: list[FontRule]) -> None:
        self._by_key: dict[str, list[FontRule]] = {}
        for rule in rules:
            compound = rule.selector.parts[-1][1]
            key = min(compound.classes) if compound.classes else f"<{compound.tag or '*'}>"
            self._by_key.setdefault(key, []).append(rule)

    def candidates(self, element: _Element) -> list[FontRule]:
        found = list(self._by_key.get(f"<{element.tag}>", ())) + list(self._by_key.get("<*>", ()))
        for name in element.classes:
            found += self._by_key.get(name, ())
        return found


# KaTeX writes no '>' inside attribute values (its TeX source is escaped), so tags end at '>'.
TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>|([^<]+)|<[^>]*>")
CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
STYLE_ATTR = re.compile(r'\bstyle="([^"]*)"')
VOID = {"img", "br", "hr", "input", "meta", "link", "wbr", "col", "source"}


class UnpredictableFont(Exception):
    """KaTeX output sets a font inline (\\htmlStyle): the caller keeps whole fonts instead."""


# (stylesheet key, page digest) -> that page's characters by face. Lives as long as the process,
# so `serve` rescans only the pages an edit changed.
_PAGE_MEMO: dict[tuple[str, str], dict[Face, frozenset[str]]] = {}
_PAGE_MEMO_LIMIT = 512


def characters_by_face(pages: Iterable[str], sheet: Stylesheet,
                       memo_dir: Path | None = None) -> dict[Face, set[str]]:
    """For each @font-face, the characters the pages' KaTeX HTML draws with it.

    With `memo_dir` (the build's .cache/fonts/), what each formula draws is also kept on disk, so
    a fresh build walks only the formulas it has not seen (walking them all takes a tenth of a
    second, after the pictures, at the end of a build)."""
    if memo_dir is not None:
        _load_formula_memo(memo_dir, sheet)
    walked = _WALKED[0]
    used: dict[Face, set[str]] = {}
    for page in pages:
        key = (sheet.key, hashlib.sha1(page.encode()).hexdigest())
        if key not in _PAGE_MEMO:
            if len(_PAGE_MEMO) >= _PAGE_MEMO_LIMIT:
                _PAGE_MEMO.clear()
            _PAGE_MEMO[key] = _page_characters(page, sheet)
        for face, chars in _PAGE_MEMO[key].items():
            used.setdefault(face, set()).update(chars)
    if memo_dir is not None and _WALKED[0] != walked:
        _save_formula_memo(memo_dir, sheet)
    return used


def _page_characters(page: str, sheet: Stylesheet) -> dict[Face, frozenset[str]]:
    found: dict[Face, set[str]] = {}
    for start, end in formula_spans(page):
        for face, chars in _formula_characters(page[start:end], sheet).items():
            found.setdefault(face, set()).update(chars)
    return {face: frozenset(chars) for face, chars in found.items()}


# (stylesheet key, digest of a formula's HTML) -> its characters by face. Most formulas are
# written more than once (the article's 844 are 353 different ones), and each is walked once.
_FORMULA_MEMO: dict[tuple[str, str], dict[Face, frozenset[str]]] = {}
_FORMULA_MEMO_LIMIT = 8192
_MEMO_FILES_READ: set[Path] = set()
_WALKED = [0]  # formulas walked by this process: a new one is worth saving
# stylesheet key -> its faces by family, and its rules indexed for the cascade.
_SHEET_INDEX: dict[str, tuple[dict[str, list[Face]], _RuleIndex]] = {}


def _formula_characters(formula: str, sheet: Stylesheet) -> dict[Face, frozenset[str]]:
    key = (sheet.key, hashlib.sha1(formula.encode()).hexdigest())
    if key not in _FORMULA_MEMO:
        if len(_FORMULA_MEMO) >= _FORMULA_MEMO_LIMIT:
            _FORMULA_MEMO.clear()
        _FORMULA_MEMO[key] = _walk_formula(formula, sheet)
        _WALKED[0] += 1
    return _FORMULA_MEMO[key]


def _memo_file(memo_dir: Path, sheet: Stylesheet) -> Path:
    return memo_dir / f"formula-faces-{sheet.key[:16]}.json"


def _load_formula_memo(memo_dir: Path, sheet: Stylesheet) -> None:
    """The formulas a build with this stylesheet walked before (a damaged file counts as none)."""
    file = _memo_file(memo_dir, sheet)
    if file in _MEMO_FILES_READ:
        return
    _MEMO_FILES_READ.add(file)
    by_url = {face.url: face for face in sheet.faces}
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
        memo = {(sheet.key, digest): {by_url[url]: frozenset(chars) for url, chars in faces.items()}
                for digest, faces in entries.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return
    _FORMULA_MEMO.update(memo)


def _save_formula_memo(memo_dir: Path, sheet: Stylesheet) -> None:
    file = _memo_file(memo_dir, sheet)
    entries = {digest: {face.url: "".join(sorted(chars)) for face, chars in faces.items()}
               for (key, digest), faces in _FORMULA_MEMO.items() if key == sheet.key}
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    tmp.replace(file)  # never a half-written memo


def _walk_formula(formula: str, sheet: Stylesheet) -> dict[Face, frozenset[str]]:
    if sheet.key not in _SHEET_INDEX:
        families: dict[str, list[Face]] = {}
        for face in sheet.faces:
            families.setdefault(face.family, []).append(face)
        _SHEET_INDEX[sheet.key] = (families, _RuleIndex(sheet.rules))
    families, index = _SHEET_INDEX[sheet.key]
    found: dict[Face, set[str]] = {}

    def draw(element: _Element, text: str) -> None:
        face = match_face(families.get(element.family, []), element.weight, element.style)
        if face is not None:
            found.setdefault(face, set()).update(text)

    _scan_formula(formula, 0, index, draw)
    return {face: frozenset(chars) for face, chars in found.items()}


def _scan_formula(page: str, start: int, index: _RuleIndex, draw) -> int:
    """Walk one `.katex` element from `start`; return where it ends."""
    chain: list[_Element] = []
    for match in TOKEN.finditer(page, start):
        closing, tag, attrs, text = match.groups()
        if text is not None:
            if chain[-1].drawn:
                draw(chain[-1], html.unescape(text))
            continue
        if tag is None:
            continue  # comment
        tag = tag.lower()
        if closing:
            while chain:
                if chain.pop().tag == tag:
                    break
            if not chain:
                return match.end()
            continue
        classes = frozenset(CLASS_ATTR.search(attrs).group(1).split()) \
            if 'class="' in attrs else frozenset()
        parent = chain[-1] if chain else None
        element = _Element(tag, classes, parent.family if parent else "",
                           parent.weight if parent else 400,
                           parent.style if parent else "normal",
                           (parent.drawn if parent else False) or "katex-html" in classes)
        chain.append(element)
        if element.drawn or parent is None:  # the MathML copy is never drawn: skip its cascade
            style = STYLE_ATTR.search(attrs)
            if style and re.search(r"\bfont(?:-family|-weight|-style)?\s*:", style.group(1)):
                raise UnpredictableFont(style.group(1))
            candidates = index.candidates(element)
            _cascade(element, chain, candidates)
            for rule in candidates:
                if rule.content and element.drawn and _matches(rule.selector, chain):
                    draw(element, rule.content)
        if tag in VOID or attrs.rstrip().endswith("/"):
            chain.pop()
    return len(page)


def _cascade(element: _Element, chain: list[_Element], rules: list[FontRule]) -> None:
    """Set the element's family/weight/style from the winning rules (else inherited)."""
    winners: dict[str, tuple[tuple[int, int], int, object]] = {}
    for rule in rules:
        if rule.content or not _matches(rule.selector, chain):
            continue
        rank = (rule.selector.specificity, rule.order)
        for name in ("family", "weight", "style"):
            value = getattr(rule, name)
            if value is not None and (name not in winners or rank >= winners[name][:2]):
                winners[name] = (*rank, value)
    for name, (_, _, value) in winners.items():
        setattr(element, name, value)


def match_face(faces: list[Face], weight: int, style: str) -> Face | None:
    """CSS Fonts 4 §5.2 font matching, reduced to the two styles and the weights KaTeX has."""
    if not faces:
        return None
    same_style = [f for f in faces if f.style == style] or faces
    weights = sorted({f.weight for f in same_style})
    if weight in weights:
        chosen = weight
    elif 400 <= weight <= 500 and any(weight < w <= 500 for w in weights):
        chosen = min(w for w in weights if weight < w <= 500)
    elif weight <= 500:
        below = [w for w in weights if w < weight]
        chosen = max(below) if below else min(weights)
    else:
        above = [w for w in weights if w > weight]
        chosen = min(above) if above else max(weights)
    return next(f for f in same_style if f.weight == chosen)
