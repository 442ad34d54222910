"""Pairs of submissions whose own code is unusually similar, for a tutor to look at.

A listed pair is a reason to read two notebooks side by side, never a verdict
and never a penalty.

How it works. Each submission's own code (``record.own_code``: its code
cells that differ from the template's) is split into tokens with Python's
``tokenize``. Names become ``V`` (keywords, builtins and attribute names after
a dot stay as they are), numbers ``N`` and strings ``S``; comments and blank
lines go. So renaming variables or changing constants changes nothing. Every
run of ``K`` consecutive tokens is a fingerprint. Fingerprints that also occur
in the template are dropped, and so, in a class of at least
``COMMON_MIN_CLASS`` submissions, are fingerprints that more than
``COMMON_SHARE`` of the class has: code that most students write says nothing
about copying. A pair's similarity is the share of the smaller submission's
fingerprints that the other one has too. Pairs with a similarity of at least
``THRESHOLD`` and at least ``MIN_SHARED`` shared fingerprints are listed.

Cost. No pair of submissions can stall the report: finding pairs is linear
in the class's code (an index of fingerprints, then one pass per listed
pair), and the parts shown side by side are capped per pair: at most
``REGIONS`` parts of at most ``REGION_TOKENS`` tokens, each matched against
at most ``CANDIDATES`` places in the other submission, shown as at most
``EXCERPT_LINES`` lines of ``EXCERPT_CHARS`` characters, and compared word
by word only within ``DIFF_BUDGET``. ``WORK`` counts the steps taken, for
tests of that growth.
"""
from __future__ import annotations

import builtins
import difflib
import functools
import io
import itertools
import keyword
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field

from grader.status import NOT_RUN

K = 10                   # tokens per fingerprint: about one line of arithmetic
THRESHOLD = 0.7          # share of the smaller submission's fingerprints found in the other
MIN_SHARED = 25          # a few common lines are not a pair
COMMON_SHARE = 0.5       # fingerprints in more than this share of the class are not counted...
COMMON_MIN_CLASS = 20    # ...in a class at least this big (in a smaller one, "common" means little)
MIN_REGION = 2 * K       # shortest similar part shown side by side, in tokens
NOT_COMPARED = NOT_RUN
REGIONS = 20             # similar parts shown per pair
REGION_TOKENS = 400      # longest part, in tokens: a longer run goes on in the next part
CANDIDATES = 8           # places in the other submission tried per shared fingerprint
EXCERPT_LINES = 60       # longest excerpt shown, in lines...
EXCERPT_CHARS = 4000     # ...and in characters
DIFF_BUDGET = 10_000     # largest product of the two sides' lengths compared piece by piece


class Work:
    """Steps taken (tokens, places and pieces looked at): grows with the class's
    code, never with a product of two submissions' lengths."""
    steps = 0


WORK = Work()

_KEPT = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_MARKS = {tokenize.NUMBER: "N", tokenize.STRING: "S", tokenize.NEWLINE: ";",
          tokenize.INDENT: "{", tokenize.DEDENT: "}"}
if hasattr(tokenize, "FSTRING_START"):  # Python 3.12+: an f-string is several tokens
    _MARKS[tokenize.FSTRING_START] = "S"
    _SKIPPED |= {tokenize.FSTRING_MIDDLE, tokenize.FSTRING_END}


@dataclass(frozen=True)
class Token:
    norm: str   # the normalised text
    cell: int   # code cell number in the notebook, from 0
    line: int   # line in that cell, from 1


@dataclass
class Code:
    """One submission's own code, tokenised and fingerprinted."""
    student: str
    cells: dict                     # code cell number -> source
    tokens: list
    fingerprints: set = field(default_factory=set)


@dataclass(frozen=True)
class Span:
    """Lines ``first``..``last`` (from 1) of code cell ``cell``."""
    cell: int
    first: int
    last: int


@dataclass
class Pair:
    a: Code
    b: Code
    similarity: float           # share of the smaller one's fingerprints found in the other
    share_a: float              # share of a's fingerprints found in b
    share_b: float
    shared: int                 # fingerprints in common
    regions: list = field(default_factory=list)   # [(a Span, b Span)], the similar parts


@functools.lru_cache(maxsize=4096)
def _normalised(source: str, cell: int) -> tuple:
    return tuple(_tokens(source, cell))


def normalise(source: str, cell: int = 0) -> list:
    """As ``_tokens``; each distinct cell is tokenised once per run."""
    return list(_normalised(source, cell))


def _tokens(source: str, cell: int = 0) -> list:
    """The tokens of one cell, names and literals normalised; IPython magics and
    shell lines skipped; a cell that does not tokenise to the end keeps what did."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    tokens, previous = [], ""
    try:
        for t in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if t.type in _SKIPPED:
                continue
            if t.type == tokenize.NAME:
                norm = t.string if t.string in _KEPT or previous == "." else "V"
            else:
                norm = _MARKS.get(t.type, t.string)
            tokens.append(Token(norm, cell, t.start[0]))
            previous = t.string
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return tokens


def code_of(record) -> Code:
    cells = {c["cell"]: c["source"] for c in record.own_code}
    tokens = [t for number, source in cells.items() for t in normalise(source, number)]
    return Code(record.student, cells, tokens)


def grams(tokens: list, k: int = K) -> list:
    """Every run of k tokens within one cell, as (position, normalised run)."""
    norms = [t.norm for t in tokens]
    WORK.steps += len(tokens)
    return [(i, tuple(norms[i:i + k])) for i in range(len(tokens) - k + 1)
            if tokens[i].cell == tokens[i + k - 1].cell]


def fingerprints(tokens: list, k: int = K) -> set:
    return {g for _, g in grams(tokens, k)}


def find(records: list, template_sources: list, k: int = K, threshold: float = THRESHOLD,
         min_shared: int = MIN_SHARED, regions_for: int | None = None) -> list:
    """The similar pairs of the class, most similar first.

    ``regions_for``: compute the similar parts of only the first so many pairs
    (the ones a report shows); all pairs when None.
    """
    codes = [code_of(r) for r in records if r.status not in NOT_COMPARED]
    boilerplate = fingerprints([t for i, s in enumerate(template_sources) for t in normalise(s, i)], k)
    for code in codes:
        code.fingerprints = fingerprints(code.tokens, k) - boilerplate
    codes = [c for c in codes if c.fingerprints]
    common = common_fingerprints(codes)
    for code in codes:
        code.fingerprints -= common
    pairs = []
    for (i, j), shared in shared_counts(codes).items():
        if shared >= min_shared:
            pair = compare(codes[i], codes[j])
            if pair and pair.similarity >= threshold:
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.a.student, p.b.student))
    for pair in pairs[:regions_for]:
        pair.regions = regions(pair.a, pair.b, pair.a.fingerprints & pair.b.fingerprints, k)
    return pairs


def shared_counts(codes: list) -> Counter:
    """Fingerprints in common per pair (i < j), from an index of who has which:
    only pairs that share something are ever looked at."""
    holders: dict = {}
    for n, code in enumerate(codes):
        for g in code.fingerprints:
            holders.setdefault(g, []).append(n)
    counts: Counter = Counter()
    for posting in holders.values():
        if len(posting) > 1:
            counts.update(itertools.combinations(posting, 2))
    return counts


def common_fingerprints(codes: list) -> set:
    if len(codes) < COMMON_MIN_CLASS:
        return set()
    counts = Counter(g for c in codes for g in c.fingerprints)
    return {g for g, n in counts.items() if n > COMMON_SHARE * len(codes)}


def compare(a: Code, b: Code) -> Pair | None:
    if not a.fingerprints or not b.fingerprints:
        return None
    shared = len(a.fingerprints & b.fingerprints)
    share_a, share_b = shared / len(a.fingerprints), shared / len(b.fingerprints)
    return Pair(a, b, max(share_a, share_b), share_a, share_b, shared)


def regions(a: Code, b: Code, shared: set, k: int = K) -> list:
    """The similar parts, as (a span, b span) within one cell on each side.

    A part starts at a shared fingerprint of a and goes on for as long as b's
    tokens match (at the one of the first CANDIDATES places in b where the
    match is longest), for at most REGION_TOKENS tokens; runs shorter than
    MIN_REGION tokens are left out, longer ones are cut where a cell ends.
    Each place tried costs at most as many steps as the part found moves on,
    so the whole is linear in a's tokens.
    """
    in_b: dict = {}
    for j, g in grams(b.tokens, k):
        places = in_b.setdefault(g, []) if g in shared else None
        if places is not None and len(places) < CANDIDATES:
            places.append(j)
    na, nb = [t.norm for t in a.tokens], [t.norm for t in b.tokens]

    def extent(i, j):
        n = k
        while n < REGION_TOKENS and i + n < len(na) and j + n < len(nb) and na[i + n] == nb[j + n]:
            n += 1
        WORK.steps += n - k + 1
        return n
    found, done = [], 0
    for i, g in grams(a.tokens, k):
        if len(found) >= REGIONS:
            break
        if i < done or g not in in_b:
            continue
        n, j = max(((extent(i, j), j) for j in in_b[g]), key=lambda nj: (nj[0], -nj[1]))
        if n >= MIN_REGION:
            found += _by_cell(a.tokens[i:i + n], b.tokens[j:j + n])
        done = i + n
    return found[:REGIONS]


def _by_cell(run_a: list, run_b: list) -> list:
    """Two aligned runs of tokens cut wherever either side changes cell."""
    parts, start = [], 0
    for t in range(1, len(run_a) + 1):
        if t == len(run_a) or (run_a[t].cell, run_b[t].cell) != (run_a[start].cell, run_b[start].cell):
            parts.append((spans(run_a[start:t])[0], spans(run_b[start:t])[0]))
            start = t
    return parts


def spans(tokens: list) -> list:
    """The lines that tokens cover, one Span per cell, in order."""
    by_cell: dict = {}
    for t in tokens:
        first, last = by_cell.get(t.cell, (t.line, t.line))
        by_cell[t.cell] = (min(first, t.line), max(last, t.line))
    return [Span(cell, first, last) for cell, (first, last) in by_cell.items()]


def text(code: Code, span: Span) -> str:
    """The lines of ``span``, at most EXCERPT_LINES of them and EXCERPT_CHARS characters."""
    lines = _lines(code.cells[span.cell])[span.first - 1:span.last]
    shown = "\n".join(lines[:EXCERPT_LINES])
    WORK.steps += len(lines[:EXCERPT_LINES])
    if len(lines) > EXCERPT_LINES or len(shown) > EXCERPT_CHARS:
        shown = shown[:EXCERPT_CHARS - 1] + "\u2026"
    return shown


@functools.lru_cache(maxsize=256)
def _lines(source: str) -> list:
    return source.splitlines()


def groups(pairs: list) -> list:
    """Students linked by listed pairs, as sorted lists, largest group first."""
    parent: dict = {}

    def root(s):
        while parent.setdefault(s, s) != s:
            s = parent[s]
        return s
    for p in pairs:
        parent[root(p.a.student)] = root(p.b.student)
    members: dict = {}
    for s in parent:
        members.setdefault(root(s), []).append(s)
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m))


_WORD = re.compile(r"\w+|\s+|[^\w\s]")


def diff_segments(left: str, right: str) -> tuple:
    """Both texts as [(piece, differs)], where differs marks what the other side
    has otherwise (renamed names, other constants); whitespace never differs.

    Lines are matched first and only changed runs of lines are compared word
    by word: the same marks at a fraction of a whole-text word diff's cost.
    A changed run with as many lines on each side is compared line by line;
    pieces whose lengths multiply to more than DIFF_BUDGET are marked whole.
    """
    a, b = left.splitlines(keepends=True), right.splitlines(keepends=True)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        if op == "replace" and i2 - i1 == j2 - j1:
            for x, y in zip(a[i1:i2], b[j1:j2]):
                _word_diff(x, y, out_a, out_b)
        elif op == "replace":
            _word_diff("".join(a[i1:i2]), "".join(b[j1:j2]), out_a, out_b)
        else:
            _emit(a[i1:i2], out_a, op != "equal")
            _emit(b[j1:j2], out_b, op != "equal")
    return out_a, out_b


def _opcodes(a: list, b: list) -> list:
    WORK.steps += len(a) * len(b)
    if len(a) * len(b) > DIFF_BUDGET:
        return [("replace", 0, len(a), 0, len(b))] if a != b else [("equal", 0, len(a), 0, len(b))]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _word_diff(left: str, right: str, out_a: list, out_b: list) -> None:
    a, b = _WORD.findall(left), _WORD.findall(right)
    if len(a) * len(b) > DIFF_BUDGET:
        WORK.steps += len(a) + len(b)
        _emit(a, out_a, True)
        _emit(b, out_b, True)
        return
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        _emit(a[i1:i2], out_a, op != "equal")
        _emit(b[j1:j2], out_b, op != "equal")


def _emit(pieces: list, out: list, differs: bool) -> None:
    piece = "".join(pieces)
    if piece:
        out.append((piece, differs and not piece.isspace()))
