"""Colours people can tell apart: every class the legend shows individually has its own colour, far from the
others, from the greys of 'other' and '(none)' and from both backgrounds; relation colours (edges) are not
modality colours; the leftover group is never confused with a real label called "other"."""

from __future__ import annotations

import itertools
import math

import numpy as np

from hubatlas.viewer.layers.colors import (
    MISSING,
    MODALITY_COLORS,
    OTHER,
    PALETTE,
    RELATION_COLORS,
    TOP,
    categorical,
)


def lab(c) -> tuple[float, float, float]:
    def lin(u):
        u /= 255
        return ((u + 0.055) / 1.055) ** 2.4 if u > 0.04045 else u / 12.92

    r, g, b = map(lin, c)
    x, y, z = (
        0.4124 * r + 0.3576 * g + 0.1805 * b,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        0.0193 * r + 0.1192 * g + 0.9505 * b,
    )

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x / 0.9505), f(y), f(z / 1.089)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(a, b) -> float:
    return math.dist(lab(a), lab(b))


def test_visible_classes_get_distinct_colours():
    shown = PALETTE[:TOP]
    assert len(set(shown)) == TOP
    assert min(delta_e(a, b) for a, b in itertools.combinations(shown, 2)) > 20  # CIE76: clearly different
    for c in shown:
        assert delta_e(c, OTHER) > 25 and delta_e(c, MISSING) > 25
        assert delta_e(c, (18, 18, 23)) > 35 and delta_e(c, (250, 250, 247)) > 25  # both themes


def test_relation_colours_are_not_modality_colours():
    for rel, c in RELATION_COLORS.items():
        if rel in ("unknown", "none"):
            continue
        assert min(delta_e(c, m) for m in MODALITY_COLORS.values()) > 15, rel
    typed = [RELATION_COLORS[r] for r in ("finetune", "adapter", "quantized", "merge")]
    assert min(delta_e(a, b) for a, b in itertools.combinations(typed, 2)) > 25
    assert min(delta_e(RELATION_COLORS["cross-family"], t) for t in typed) > 25  # a link between families


def test_a_real_other_label_and_the_leftover_group_are_told_apart():
    labels = [f"task-{i}" for i in range(TOP - 1)] + ["other"] + [f"rare-{i}" for i in range(5)]
    counts = np.array([100 - i for i in range(TOP)] + [1] * 5)
    legend = categorical(counts, labels, missing=3).legend
    names = [e.label for e in legend]
    assert names.count("other") == 1  # the real task
    assert "other (5 values)" in names and "(none)" in names
    colors = [e.color for e in legend]
    assert len(set(colors)) == len(colors)
