"""Figures for the HTML report, as inline SVG: no files, no fonts, no scripts."""
from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

GRADED, OTHER = "#2f6f9f", "#c9a227"
# Same figure, same bytes: no date, fixed element ids, text drawn as paths.
_RC = {"svg.hashsalt": "optigrade", "svg.fonttype": "path", "font.size": 9}


def histogram_svg(graded: list, other: list, top: float) -> str:
    """Scores of graded submissions and of the rest (which score 0), stacked,
    in bins of a round width from 0 to ``top``."""
    top = top or 1.0
    width = bin_width(top)
    edges = [i * width for i in range(int(top // width) + 1)]
    if edges[-1] < top:
        edges.append(top)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.4, 2.4))
        ax = fig.subplots()
        ax.hist([graded, other], bins=edges, stacked=True, color=[GRADED, OTHER],
                label=["graded", "not graded (score 0)"], edgecolor="white", linewidth=0.8)
        ax.set_xlim(0, top)
        ax.set_xticks(edges, [f"{e:g}" for e in edges])
        ax.set_xlabel(f"score (of {top:g})")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        if other:
            ax.legend(frameon=False, loc="upper left")
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline(buffer.getvalue())


def bin_width(top: float, most: int = 12) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... points that needs at most ``most`` bins."""
    width = 1.0
    while top / width > most:
        width *= 2.5 if str(width).startswith("2") else 2
    return width


def _inline(svg: str) -> str:
    """An SVG document as an element for an HTML page."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<svg ", '<svg role="img" aria-label="histogram of the scores" ', svg, count=1)
