"""A flame graph drawn by rvirt: one self-contained SVG (no script, no fonts to fetch)
from folded stack counts, root at the bottom, each frame's width its share of the
instructions, with a hover title giving its name, count and percentage."""

from __future__ import annotations

import zlib
from collections import Counter
from xml.sax.saxutils import escape

WIDTH = 1200
ROW = 17
PAD = 10
FONT = 12
CHAR = 7.0  # average glyph width of a 12px monospace font, to fit labels


class _Node:
    __slots__ = ("name", "count", "children")

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.children: dict[str, _Node] = {}


def _tree(counts: Counter[str]) -> _Node:
    root = _Node("all")
    for stack, n in counts.items():
        root.count += n
        node = root
        for name in stack.split(";") if stack else []:
            node = node.children.setdefault(name, _Node(name))
            node.count += n
    return root


def _depth(node: _Node) -> int:
    return 1 + max((_depth(c) for c in node.children.values()), default=0)


def _colour(name: str) -> str:
    """A warm colour that depends only on the name, so a function looks the same in
    every graph; trap frames blue."""
    v = zlib.crc32(name.encode())
    if name.startswith("["):
        return f"rgb({80 + v % 40},{140 + v % 50},{220 + v % 30})"
    return f"rgb({205 + v % 50},{80 + (v >> 8) % 120},{40 + (v >> 16) % 50})"


def flame_svg(counts: Counter[str], title: str = "rvirt profile") -> str:
    root = _tree(counts)
    total = root.count or 1
    depth = _depth(root)
    height = depth * ROW + 3 * PAD + FONT * 2
    scale = (WIDTH - 2 * PAD) / total
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="{FONT}">',
           f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fdfdf6"/>',
           f'<text x="{WIDTH // 2}" y="{PAD + FONT}" text-anchor="middle" font-size="15">'
           f'{escape(title)}</text>',
           f'<text x="{PAD}" y="{height - PAD // 2}" font-size="11">{total} instructions; '
           f'hover over a frame for its count</text>']

    def draw(node: _Node, x: float, level: int) -> None:
        w = node.count * scale
        if w < 0.3:
            return  # too thin to see (its instructions are in its parent's width)
        y = height - 2 * PAD - FONT - (level + 1) * ROW
        share = 100 * node.count / total
        label = f"{node.name} ({node.count} instructions, {share:.2f}%)"
        out.append(f'<g><title>{escape(label)}</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{ROW - 1}" rx="2" '
                   f'fill="{_colour(node.name)}"/>')
        fit = int((w - 6) / CHAR)
        if fit >= 3:
            text = node.name if len(node.name) <= fit else node.name[:fit - 2] + ".."
            out.append(f'<text x="{x + 3:.2f}" y="{y + ROW - 5}">{escape(text)}</text>')
        out.append("</g>")
        cx = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            draw(child, cx, level + 1)
            cx += child.count * scale

    draw(root, PAD, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"
