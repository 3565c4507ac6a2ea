"""Charts of the analyses as PNG bytes, drawn with matplotlib's Agg canvas directly (no pyplot, no GUI
backend: safe inside the Qt app and headless). Used by the HTML report and the viewer's Trends panel. Every
text a chart draws (titles, series and tick labels, legends) is untrusted data and goes through ``chart_text``
(``printable``, with '$' escaped so that mathtext never parses a licence such as 'a$_$b')."""

from __future__ import annotations

import io

import numpy as np

from hubatlas.core.common.text import chart_text

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]


def _figure(w: float = 8.0, h: float = 3.6):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _theme(fig, ax, theme: dict | None, span: tuple[int, int] | None = None) -> None:
    """Colours of a chart shown inside a themed window: ``theme`` = {"background": "#rrggbb", "text":
    "#rrggbb"}; ``span``: a range of month indices drawn as a band (a brushed range)."""
    if span is not None:
        ax.axvspan(span[0] - 0.5, span[1] + 0.5, color=(theme or {}).get("text", "#000000"), alpha=0.12, lw=0)
    if not theme:
        return
    bg, fg = theme["background"], theme["text"]
    fig.set_facecolor(bg)
    ax.set_facecolor(bg)
    ax.title.set_color(fg)
    ax.yaxis.label.set_color(fg)
    ax.tick_params(colors=fg, which="both")
    for spine in ax.spines.values():
        spine.set_color(fg)
        spine.set_alpha(0.4)
    legend = ax.get_legend()
    if legend is not None:
        for t in legend.get_texts():
            t.set_color(fg)


def _month_ticks(ax, months: list[str]) -> None:
    step = max(1, len(months) // 8)
    idx = list(range(0, len(months), step))
    ax.set_xticks(idx)
    ax.set_xticklabels([chart_text(months[i]) for i in idx], rotation=30, ha="right", fontsize=8)


def _month_span(fig, ax, months: list[str], geometry: dict | None) -> None:
    """Where the first and last month are drawn, in pixels from the image's left edge (after the draw), so a
    viewer can tell which month the pointer is over."""
    if geometry is None or not months:
        return
    (x0, _), (x1, _) = ax.transData.transform([[0, 0], [max(len(months) - 1, 0), 0]])
    w, h = fig.canvas.get_width_height()
    geometry.update(first_px=float(x0), last_px=float(x1), width=int(w), height=int(h))


def monthly_lines(
    months: list[str],
    series: dict,
    title: str,
    ylabel: str = "models per month",
    stacked: bool = False,
    colors: dict | None = None,
    geometry: dict | None = None,
    theme: dict | None = None,
    span: tuple[int, int] | None = None,
) -> bytes:
    """One line (or stacked area) per label over months; ``series`` is {"labels": [...], "counts": [[...]]}.
    ``colors``: label -> (r, g, b) 0-255, so a chart can use the map's colours (others: the chart palette).
    ``geometry``: filled with where the months are drawn (see _month_span); ``theme``, ``span``: _theme."""
    fig = _figure()
    ax = fig.add_subplot()
    x = np.arange(len(months))
    rows = [np.asarray(c, float) for c in series["counts"]]
    cols = [
        ("#{:02x}{:02x}{:02x}".format(*colors[lab]))
        if colors and lab in colors
        else PALETTE[i % len(PALETTE)]
        for i, lab in enumerate(series["labels"])
    ]
    labels = [chart_text(lab) for lab in series["labels"]]
    if stacked and rows:
        ax.stackplot(x, *rows, labels=labels, colors=cols, alpha=0.85)
    else:
        for lab, r, col in zip(labels, rows, cols, strict=False):
            ax.plot(x, r, label=lab, color=col, lw=1.5)
    ax.set_title(chart_text(title), fontsize=11)
    ax.set_ylabel(chart_text(ylabel))
    _month_ticks(ax, months)
    if series["labels"]:
        ax.legend(fontsize=7, ncol=2, loc="upper left", frameon=False)
    _theme(fig, ax, theme, span)
    png = _png(fig)
    _month_span(fig, ax, months, geometry)
    return png


def values_over_months(
    months: list[str],
    values: list,
    title: str,
    ylabel: str,
    geometry: dict | None = None,
    theme: dict | None = None,
    span: tuple[int, int] | None = None,
) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    v = np.array([np.nan if x is None else x for x in values], float)
    ax.plot(np.arange(len(months)), v, color=PALETTE[0], lw=1.5)
    ax.set_title(chart_text(title), fontsize=11)
    ax.set_ylabel(chart_text(ylabel))
    _month_ticks(ax, months)
    _theme(fig, ax, theme, span)
    png = _png(fig)
    _month_span(fig, ax, months, geometry)
    return png


def grouped_bars(
    groups: list[str], bars: dict[str, list], title: str, ylabel: str = "", ylim: tuple | None = None
) -> bytes:
    """Bars per group for each named series (None values are left out)."""
    fig = _figure()
    ax = fig.add_subplot()
    x = np.arange(len(groups))
    w = 0.8 / max(len(bars), 1)
    for i, (name, vals) in enumerate(bars.items()):
        v = np.array([np.nan if a is None else a for a in vals], float)
        ax.bar(
            x + (i - (len(bars) - 1) / 2) * w, v, w, label=chart_text(name), color=PALETTE[i % len(PALETTE)]
        )
    ax.set_xticks(x)
    ax.set_xticklabels([chart_text(g) for g in groups], fontsize=9)
    ax.set_title(chart_text(title), fontsize=11)
    ax.set_ylabel(chart_text(ylabel))
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8, frameon=False, ncol=len(bars), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    return _png(fig)


def heatmap(labels: list[str], counts: list[list[int]], title: str) -> bytes:
    """A row-normalised transition table (parent value rows → child value columns) with counts written in."""
    a = np.asarray(counts, float)
    share = np.divide(a, a.sum(1, keepdims=True), out=np.zeros_like(a), where=a.sum(1, keepdims=True) > 0)
    fig = _figure(7.5, 6.0)
    ax = fig.add_subplot()
    ax.imshow(share, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    shown = [chart_text(lab) for lab in labels]
    ax.set_xticklabels(shown, rotation=40, ha="right", fontsize=8)
    ax.set_yticklabels(shown, fontsize=8)
    ax.set_xlabel("child")
    ax.set_ylabel("parent")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if a[i, j]:
                ax.text(
                    j,
                    i,
                    f"{int(a[i, j]):,}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if share[i, j] < 0.6 else "black",
                )
    ax.set_title(chart_text(title), fontsize=11)
    return _png(fig)


def horizontal_bars(labels: list[str], stacks: dict[str, list], title: str) -> bytes:
    """Stacked horizontal bars, one per label (largest on top)."""
    fig = _figure(8.0, max(2.5, 0.32 * len(labels) + 1))
    ax = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    left = np.zeros(len(labels))
    for i, (name, vals) in enumerate(stacks.items()):
        v = np.asarray(vals, float)
        ax.barh(y, v, left=left, label=chart_text(name), color=PALETTE[i % len(PALETTE)])
        left += v
    ax.set_yticks(y)
    ax.set_yticklabels([chart_text(lab, 47) for lab in labels], fontsize=8)
    ax.set_title(chart_text(title), fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(fig)
