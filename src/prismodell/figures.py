"""House style of the report's figures: pure functions, DataFrames in, matplotlib Figure out.

Every function uses the object-oriented API (no pyplot state, never ``plt.show``): a
:class:`~matplotlib.figure.Figure` renders to PNG without any backend being chosen, so the
module sets none and leaves the kernel's or the caller's alone. The house style is applied as a
matplotlib style context around each figure function and each rendering (:func:`house_style`),
never by changing the global rcParams, so importing or calling this module changes nothing for
other plots in the same process. Labels
are Swedish, numbers are formatted by :mod:`prismodell.style`, and the figures are sized for an
A4 page (about 16 cm wide) and stay readable in greyscale print (hatches and edges, not only
colour).
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import figure_cache, style

CM = 1 / 2.54
PAGE_WIDTH = 16 * CM  # inches

STYLE_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.unicode_minus": True,
}


def house_style():
    """The house style as a context (``with house_style(): ...``): matplotlib reads rcParams
    both when a figure is built and when it is drawn (ticks are made at draw time), so both
    happen inside it; the global rcParams are restored on leaving."""
    return matplotlib.rc_context(STYLE_RC)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def styled(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a figure function (or a rendering) inside :func:`house_style`."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with house_style():
            result = function(*args, **kwargs)
        if isinstance(result, Figure):  # its PNG may be kept for the same call (figure_cache)
            figure_cache.remember(result, figure_cache.call_key(function, args, kwargs))
        return result

    return wrapper


@styled
def new_figure(height_cm: float, width_cm: float = 16.0) -> Figure:
    """An empty house-style figure of the given size (no pyplot state). Draw on it inside
    :func:`house_style` (every figure function here does)."""
    return Figure(figsize=(width_cm * CM, height_cm * CM), layout="constrained")


@styled
def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes (tight bounding box, white background); in a build, the bytes
    rendered before for the same figure call (:mod:`prismodell.figure_cache`)."""

    def render() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
        return buffer.getvalue()

    return figure_cache.png(fig, dpi, render)


# --------------------------------------------------------------------------- text alternatives

DATA_SUMMARY = "Visa figurens data som tabell"


def describe(
    fig: Figure,
    alt: str,
    data: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Figure:
    """Give a figure its text alternative (WCAG 1.1.1): ``alt``, a Swedish sentence on what it
    shows and its main finding, and ``data``, the numbers it draws as a table (``formats`` and
    ``headers`` as in :func:`prismodell.style.table_html`). Every figure function here calls
    it; :func:`as_image` puts both on the page."""
    fig.pm_alt = alt
    fig.pm_data = (data, dict(formats or {}), dict(headers or {}))
    return fig


def figure_html(png: bytes, alt: str, table: str) -> str:
    """The figure as HTML: the image with its alt text, and its data in a collapsible below
    (closed on screen, so the figure comes first; one click or Enter opens it)."""
    import base64
    from html import escape

    source = base64.b64encode(png).decode("ascii")
    return (
        f'<div class="pm-figure"><img class="pm-figure-image" alt="{escape(alt)}" '
        f'src="data:image/png;base64,{source}">'
        f'<details class="pm-figure-data"><summary>{DATA_SUMMARY}</summary>{table}</details></div>'
    )


class AccessibleFigure:
    """What a notebook shows or glues for a figure: HTML with the image, its alt text and its
    data table (myst-nb prefers text/html over image/png)."""

    def __init__(self, png: bytes, alt: str, table: str) -> None:
        self.png, self.alt, self.table = png, alt, table

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/html": figure_html(self.png, self.alt, self.table), "text/plain": self.alt}


def as_image(fig: Figure, dpi: int = 150) -> AccessibleFigure:
    """The figure as a notebook display: the PNG with the alt text and data table that the
    figure function gave it (:func:`describe`; a figure without them is a defect)."""
    if not getattr(fig, "pm_alt", None):
        raise ValueError("figuren saknar alternativtext: anropa figures.describe")
    data, formats, headers = fig.pm_data
    table = style.table_html(data, formats, headers, caption=f"Data i figuren: {fig.pm_alt}")
    return AccessibleFigure(png_bytes(fig, dpi), fig.pm_alt, table)


def _extremes(frame: pd.DataFrame, label: str, value: str, fmt=None) -> str:
    """'störst är A (1 kr), minst B (2 kr)' for the alt texts."""
    fmt = fmt or style.format_kr
    values = frame[[label, value]].dropna()
    if values.empty:
        return "inga värden"
    top = values.loc[values[value].idxmax()]
    low = values.loc[values[value].idxmin()]
    text = f"störst är {top[label]} ({fmt(top[value])})"
    if len(values) > 1:
        text += f", minst {low[label]} ({fmt(low[value])})"
    return text


def kr_formatter() -> FuncFormatter:
    """Axis ticks as '1 234 567' (kronor, Swedish grouping)."""
    return FuncFormatter(lambda value, _pos: style.format_number(value))


def mkr_formatter(decimals: int = 0) -> FuncFormatter:
    """Axis ticks as '12 mnkr'."""
    return FuncFormatter(lambda value, _pos: style.format_mkr(value, decimals))


def amount_formatter(max_value: float) -> tuple[FuncFormatter, str]:
    """A tick formatter and axis label that suit amounts up to ``max_value`` kronor."""
    if abs(max_value) >= 2e6:
        decimals = 0 if abs(max_value) >= 2e7 else 1
        return FuncFormatter(
            lambda v, _p: style.format_number(v / 1e6, decimals)
        ), "miljoner kronor"
    return kr_formatter(), "kronor"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


# Greyscale print: every series also differs in hatch pattern, not only in colour.
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "ooo", "---", "+++"]
COST_COMPONENT_HATCHES = {
    "personnel": "",
    "administration_overhead": "///",
    "internal_overhead": "...",
    "other_costs": "xxx",
}
PREVIOUS_COLOUR = "#BBBBBB"
NEW_COLOUR = "#0072B2"
COST_COMPONENTS = list(style.COST_COMPONENT_LABELS)


def _barh_height_cm(rows: int, per_row: float = 0.55, extra: float = 3.0) -> float:
    return max(6.0, min(24.0, rows * per_row + extra))


def _tidy_barh(ax, labels: Sequence[str], max_value: float) -> None:
    """Category labels on y (first row on top), amounts on x, grid only along x."""
    formatter, label = amount_formatter(max_value)
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlabel(label)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)


# --------------------------------------------------------------------------- full cost


@styled
def full_cost_figure(
    full_cost: pd.DataFrame,
    area_labels: Mapping[str, str] | None = None,
    title: str = "Självkostnad per tjänsteområde och kostnadsslag",
) -> Figure:
    """Stacked horizontal bars: each service area's full cost built up of its four components.

    ``full_cost`` is ``PriceModelResult.full_cost`` (service_area, personnel,
    administration_overhead, internal_overhead, other_costs, full_cost); ``area_labels`` maps
    service_area to its display name. One bar segment per area and component.
    """
    area_labels = area_labels or {}
    labels = [_wrap(area_labels.get(a, a), 22) for a in full_cost["service_area"]]
    fig = new_figure(_barh_height_cm(len(full_cost), 0.9, 4.0))
    ax = fig.add_subplot()
    y = np.arange(len(full_cost))
    left = np.zeros(len(full_cost))
    for component in COST_COMPONENTS:
        values = full_cost[component].to_numpy(dtype=float)
        ax.barh(
            y,
            values,
            left=left,
            height=0.65,
            color=style.COST_COMPONENT_COLOURS[component],
            hatch=COST_COMPONENT_HATCHES[component],
            edgecolor="white",
            linewidth=0.6,
            label=style.COST_COMPONENT_LABELS[component],
        )
        left += values
    total = full_cost["full_cost"].to_numpy(dtype=float)
    for yi, value in zip(y, total, strict=True):
        ax.text(value, yi, " " + style.format_mkr(value), va="center", ha="left", fontsize=8)
    _tidy_barh(ax, labels, float(total.max()) if len(total) else 0.0)
    ax.set_xlim(0, (total.max() if len(total) else 1) * 1.18)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    data = full_cost[["service_area", *COST_COMPONENTS, "full_cost"]].copy()
    data["service_area"] = [area_labels.get(a, a) for a in data["service_area"]]
    components = ", ".join(style.COST_COMPONENT_LABELS[c].lower() for c in COST_COMPONENTS)
    alt = (
        f"Liggande stapeldiagram: självkostnaden per tjänsteområde uppdelad på {components}; "
        + _extremes(data, "service_area", "full_cost")
        + "."
    )
    return describe(
        fig,
        alt,
        data,
        {c: "kr" for c in [*COST_COMPONENTS, "full_cost"]},
        {"service_area": "Tjänsteområde", **style.COST_COMPONENT_LABELS, "full_cost": "Totalt"},
    )


# --------------------------------------------------------------------------- allocation


@styled
def allocation_figure(
    by_key: pd.DataFrame,
    title: str = "Fördelning per kund och fördelningsnyckel",
    totals: pd.Series | None = None,
) -> Figure:
    """Horizontal bars per customer, stacked by key, the largest customer on top.

    ``by_key`` is wide: index = customer display names, one column per key (display name),
    values = the customer's exact amount from that key in kronor. One bar per customer and key.
    ``totals`` (same index) gives the amount written at the end of each bar, e.g. the
    price-list charge in whole kronor; by default the sum of the row.
    """
    frame = by_key.fillna(0.0)
    frame = frame.loc[frame.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    label_values = frame.sum(axis=1) if totals is None else totals.reindex(frame.index)
    fig = new_figure(_barh_height_cm(len(frame), 0.42 if len(frame) > 12 else 0.7, 3.5))
    ax = fig.add_subplot()
    y = np.arange(len(frame))
    left = np.zeros(len(frame))
    for i, key in enumerate(frame.columns):
        values = frame[key].to_numpy(dtype=float)
        ax.barh(
            y,
            values,
            left=left,
            height=0.7,
            color=style.AREA_COLOURS[i % len(style.AREA_COLOURS)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="white",
            linewidth=0.5,
            label=_wrap(key, 40),
        )
        left += values
    total = frame.sum(axis=1).to_numpy(dtype=float)
    for yi, end, value in zip(y, total, label_values.to_numpy(dtype=float), strict=True):
        ax.text(end, yi, " " + style.format_kr(value), va="center", ha="left", fontsize=7)
    maximum = float(total.max()) if len(total) else 0.0
    _tidy_barh(ax, [_wrap(name, 60 if len(frame) > 12 else 30) for name in frame.index], maximum)
    ax.set_xlim(0, (maximum or 1) * 1.25)
    ax.tick_params(axis="y", labelsize=7 if len(frame) > 12 else 8)
    ax.set_title(title, loc="left")
    if len(frame.columns) > 1:
        ax.legend(loc="lower right")
    data = frame.copy()
    data["Totalt"] = label_values
    data = data.reset_index(names="Kund")
    alt = (
        f"Liggande stapeldiagram: beloppet för var och en av {len(frame)} kunder, uppdelat på "
        f"{len(frame.columns)} fördelningsnycklar, den största kunden överst; "
        + _extremes(data, "Kund", "Totalt")
        + "."
    )
    return describe(fig, alt, data, {c: "kr" for c in data.columns if c != "Kund"})


# --------------------------------------------------------------------------- change


@styled
def change_figure(
    comparison: pd.DataFrame,
    label: str = "name",
    value: str = "difference",
    title: str = "Förändring mot föregående år per kund",
) -> Figure:
    """Diverging horizontal bars: increase (right, hatched) and decrease (left) per row.

    ``comparison`` has a display-label column and a signed kronor column; rows are sorted from
    the largest increase to the largest decrease. One bar per row.
    """
    frame = comparison[[label, value]].dropna(subset=[value])
    frame = frame.sort_values(value, ascending=False, kind="stable")
    values = frame[value].to_numpy(dtype=float)
    fig = new_figure(_barh_height_cm(len(frame), 0.42 if len(frame) > 12 else 0.7, 3.5))
    ax = fig.add_subplot()
    y = np.arange(len(frame))
    increase = values > 0
    colours = np.where(increase, style.INCREASE_COLOUR, style.DECREASE_COLOUR)
    bars = ax.barh(y, values, height=0.7, color=colours, edgecolor="white", linewidth=0.5)
    for bar, up in zip(bars, increase, strict=True):
        bar.set_hatch("///" if up else "")
    span = float(np.abs(values).max()) if len(values) else 1.0
    span = span or 1.0
    for yi, v in zip(y, values, strict=True):
        text = style.format_kr(v)
        if v > 0:
            text = "+" + text
        ax.text(
            v,
            yi,
            f" {text} " if v >= 0 else f" {text} ",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=7,
        )
    _tidy_barh(ax, [_wrap(n, 60 if len(frame) > 12 else 30) for n in frame[label]], span)
    ax.axvline(0, color="#333333", linewidth=0.8)
    low = min(0.0, float(values.min()) if len(values) else 0.0)
    high = max(0.0, float(values.max()) if len(values) else 0.0)
    ax.set_xlim(
        low - 0.6 * span if low < 0 else -0.05 * span,
        high + 0.6 * span if high > 0 else 0.05 * span,
    )
    ax.tick_params(axis="y", labelsize=7 if len(frame) > 12 else 8)
    ax.set_title(title, loc="left")
    handles = [
        Patch(facecolor=style.INCREASE_COLOUR, hatch="///", edgecolor="white", label="Ökning"),
        Patch(facecolor=style.DECREASE_COLOUR, edgecolor="white", label="Minskning"),
    ]
    ax.legend(handles=handles, loc="lower right")
    data = frame.rename(columns={label: "Rad", value: "Förändring"})
    ups, downs = int((values > 0).sum()), int((values < 0).sum())
    alt = f"Stapeldiagram: förändringen i kronor mot föregående år; {ups} ökar och {downs} minskar"
    if len(frame):
        alt += (
            f", störst ökning {data['Rad'].iloc[0]} ({style.format_signed_kr(values[0])}), "
            f"störst minskning {data['Rad'].iloc[-1]} ({style.format_signed_kr(values[-1])})"
        )
    return describe(fig, alt + ".", data, {"Förändring": "signed_kr"})


# --------------------------------------------------------------------------- one customer


@styled
def customer_figure(
    charges: pd.DataFrame,
    title: str | None = None,
    fig: Figure | None = None,
) -> Figure:
    """One customer's charge per service area, this year against last year.

    ``charges`` has columns label (service area name), new and optionally previous (kronor).
    Pass ``fig`` to redraw into an existing figure (fast when writing many pages). Two bars per
    area when previous charges exist, else one. The margins are fixed (the labels are service
    area names, wrapped), so no layout engine runs on every save.
    """
    rows = len(charges)
    height = _barh_height_cm(rows, 0.95, 3.2) * CM
    if fig is None:
        fig = Figure(figsize=(PAGE_WIDTH, height))
    else:
        fig.clear()
        fig.set_layout_engine("none")
        fig.set_size_inches(PAGE_WIDTH, height)
    fig.subplots_adjust(
        left=1.45 / PAGE_WIDTH,
        right=0.97,
        top=1 - (0.45 if title else 0.15) / height,
        bottom=0.95 / height,
    )
    ax = fig.add_subplot()
    has_previous = "previous" in charges and charges["previous"].notna().any()
    y = np.arange(rows)
    new = charges["new"].fillna(0.0).to_numpy(dtype=float)
    if has_previous:
        previous = charges["previous"].fillna(0.0).to_numpy(dtype=float)
        ax.barh(
            y - 0.19,
            previous,
            height=0.36,
            color=PREVIOUS_COLOUR,
            hatch="///",
            edgecolor="white",
            linewidth=0.5,
            label="Föregående år",
        )
        ax.barh(
            y + 0.19,
            new,
            height=0.36,
            color=NEW_COLOUR,
            edgecolor="white",
            linewidth=0.5,
            label="I år",
        )
        maximum = float(max(previous.max(), new.max())) if rows else 0.0
        for yi, v in zip(y, new, strict=True):
            ax.text(v, yi + 0.19, " " + style.format_kr(v), va="center", fontsize=7)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.55 / (height - 1.1)), ncol=2)
    else:
        ax.barh(y, new, height=0.6, color=NEW_COLOUR, edgecolor="white", linewidth=0.5)
        maximum = float(new.max()) if rows else 0.0
        for yi, v in zip(y, new, strict=True):
            ax.text(v, yi, " " + style.format_kr(v), va="center", fontsize=7)
    _tidy_barh(ax, [_wrap(label, 24) for label in charges["label"]], maximum)
    ax.set_xlim(0, (maximum or 1) * 1.3)
    if title:
        ax.set_title(title, loc="left")
    columns = ["label", "new", *(["previous"] if has_previous else [])]
    alt = "Liggande stapeldiagram: kundens pris per tjänsteområde" + (
        " i år jämfört med föregående år." if has_previous else "."
    )
    return describe(
        fig,
        alt,
        charges[columns],
        {"new": "kr", "previous": "kr"},
        {"label": "Tjänsteområde", "new": "I år", "previous": "Föregående år"},
    )


# --------------------------------------------------------------------------- kronor flow

OTHERS = "Övriga"
FLOW_LEVEL_TITLES = ("Kostnadsslag", "Tjänsteområde", "Nyckel", "Kund")


DEDICATED_NODE = "Särskilda tjänster"


def _with_dedicated(
    unit_prices: pd.DataFrame, allocation: pd.DataFrame, dedicated: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dedicated services (rule 5) as one extra middle node per service area, beside its keys,
    flowing to the customers that bear them, so the flow keeps every krona of the full cost."""
    if dedicated is None or dedicated.empty:
        return unit_prices, allocation
    services = dedicated.assign(key_id=DEDICATED_NODE + ":" + dedicated["service_area"])
    by = ["service_area", "key_id", "customer_id"]
    charges = services.groupby(by, as_index=False, sort=False)["amount"].sum()
    pools = charges.groupby(["service_area", "key_id"], as_index=False, sort=False)["amount"].sum()
    return (
        pd.concat(
            [
                unit_prices[["service_area", "key_id", "pool"]],
                pools.rename(columns={"amount": "pool"}),
            ],
            ignore_index=True,
        ),
        pd.concat(
            [allocation[["customer_id", "service_area", "key_id", "amount"]], charges],
            ignore_index=True,
        ),
    )


def kronor_flow_links(
    full_cost: pd.DataFrame,
    unit_prices: pd.DataFrame,
    allocation: pd.DataFrame,
    top_n: int = 8,
    dedicated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The kronor of the model as links between four levels of nodes, for the flow figure.

    Level 0 → 1: cost component → service area (its component amount); 1 → 2: service area →
    key (the key pool); 2 → 3: key → customer (the exact allocated amount), the customers outside
    the ``top_n`` largest grouped as ``OTHERS``. Columns: level (of the source), source, target,
    area (the service area the kronor belong to), amount. Zero links are left out; each level's
    links sum to the total exact full cost. ``dedicated`` (``PriceModelResult.dedicated_services``)
    adds the dedicated services of each area as one node beside its keys, flowing to their
    customers.
    """
    unit_prices, allocation = _with_dedicated(unit_prices, allocation, dedicated)
    links = []
    for component in COST_COMPONENTS:
        for area, amount in zip(full_cost["service_area"], full_cost[component], strict=True):
            links.append((0, component, area, area, float(amount)))
    for area, key, pool in zip(
        unit_prices["service_area"], unit_prices["key_id"], unit_prices["pool"], strict=True
    ):
        links.append((1, area, key, area, float(pool)))
    totals = allocation.groupby("customer_id")["amount"].sum().sort_values(ascending=False)
    top = list(totals.index[:top_n]) if len(totals) > top_n + 1 else list(totals.index)
    grouped = allocation.assign(
        customer=allocation["customer_id"].where(allocation["customer_id"].isin(top), OTHERS)
    )
    sums = grouped.groupby(["key_id", "customer", "service_area"], sort=False)["amount"].sum()
    for (key, customer, area), amount in sums.items():
        links.append((2, key, customer, area, float(amount)))
    frame = pd.DataFrame(links, columns=["level", "source", "target", "area", "amount"])
    return frame[frame["amount"] > 0].reset_index(drop=True)


def _flow_nodes(links: pd.DataFrame, order: list[list[str]]) -> list[pd.Series]:
    """Node sizes per level (in ``order``), from the links entering or leaving them."""
    sizes = []
    for level, names in enumerate(order):
        if level < len(order) - 1:
            amounts = links[links["level"] == level].groupby("source")["amount"].sum()
        else:
            amounts = links[links["level"] == level - 1].groupby("target")["amount"].sum()
        sizes.append(amounts.reindex(names).dropna())
    return sizes


def _ribbon(x0: float, x1: float, y0: tuple[float, float], y1: tuple[float, float]) -> Path:
    """A band from (x0, y0 top..bottom) to (x1, y1 top..bottom) with S-shaped edges."""
    mid = (x0 + x1) / 2
    vertices = [
        (x0, y0[0]),
        (mid, y0[0]),
        (mid, y1[0]),
        (x1, y1[0]),
        (x1, y1[1]),
        (mid, y1[1]),
        (mid, y0[1]),
        (x0, y0[1]),
        (x0, y0[0]),
    ]
    codes = [Path.MOVETO] + [Path.CURVE4] * 3 + [Path.LINETO] + [Path.CURVE4] * 3
    codes += [Path.CLOSEPOLY]
    return Path(vertices, codes)


@styled
def kronor_flow_figure(
    full_cost: pd.DataFrame,
    unit_prices: pd.DataFrame,
    allocation: pd.DataFrame,
    area_labels: Mapping[str, str] | None = None,
    key_labels: Mapping[str, str] | None = None,
    customer_labels: Mapping[str, str] | None = None,
    top_n: int = 8,
    title: str = "Så flyttar kronorna: från kostnad till kund",
    dedicated: pd.DataFrame | None = None,
) -> Figure:
    """An alluvial figure of how the kronor move: cost components → service areas → keys →
    customers (the ``top_n`` largest, the rest as "Övriga").

    Takes ``PriceModelResult.full_cost``, ``.unit_prices`` and ``.allocation``; the label maps
    give display names. Nodes are grey bars with height proportional to kronor; ribbons are
    coloured by service area all the way, so a reader can follow one area's kronor.
    """
    area_labels = dict(area_labels or {})
    key_labels = dict(key_labels or {})
    customer_labels = dict(customer_labels or {})
    links = kronor_flow_links(full_cost, unit_prices, allocation, top_n, dedicated)
    unit_prices, allocation = _with_dedicated(unit_prices, allocation, dedicated)
    nodes = unit_prices["key_id"]
    key_labels.update({k: DEDICATED_NODE for k in nodes[nodes.str.startswith(DEDICATED_NODE)]})
    areas = list(full_cost["service_area"])
    customer_totals = (
        links[links["level"] == 2].groupby("target")["amount"].sum().sort_values(ascending=False)
    )
    customers = [c for c in customer_totals.index if c != OTHERS]
    if OTHERS in customer_totals.index:
        customers.append(OTHERS)
    order = [COST_COMPONENTS, areas, list(unit_prices["key_id"]), customers]
    sizes = _flow_nodes(links, order)
    others_count = allocation["customer_id"].nunique() - (len(customers) - 1)

    def label(level: int, name: str) -> str:
        if level == 0:
            return style.COST_COMPONENT_LABELS[name]
        if level == 1:
            return area_labels.get(name, name)
        if level == 2:
            return key_labels.get(name, name)
        if name == OTHERS:
            return f"{OTHERS} ({others_count} kunder)"
        return customer_labels.get(name, name)

    total = float(sizes[0].sum()) or 1.0
    gap = total * 0.018
    heights = [float(s.sum()) + gap * (len(s) - 1) for s in sizes]
    top_level = max(heights)
    positions: list[dict[str, tuple[float, float]]] = []  # name -> (top, bottom), y grows upward
    for s, height in zip(sizes, heights, strict=True):
        y = top_level - (top_level - height) / 2
        nodes = {}
        for name, amount in s.items():
            nodes[name] = (y, y - amount)
            y -= amount + gap
        positions.append(nodes)

    fig = new_figure(19.0)
    ax = fig.add_subplot()
    ax.set_axis_off()
    xs = [0.0, 1.0, 2.0, 3.0]
    width = 0.05
    area_colour = {a: style.AREA_COLOURS[i % len(style.AREA_COLOURS)] for i, a in enumerate(areas)}

    # ribbons: stack outgoing links in target order, incoming in source order
    out_cursor = [{n: p[0] for n, p in level.items()} for level in positions]
    in_cursor = [{n: p[0] for n, p in level.items()} for level in positions]
    for level in range(3):
        level_links = links[links["level"] == level].copy()
        level_links["s"] = level_links["source"].map({n: i for i, n in enumerate(order[level])})
        level_links["t"] = level_links["target"].map({n: i for i, n in enumerate(order[level + 1])})
        for row in level_links.sort_values(["s", "t"]).itertuples():
            s_top = out_cursor[level][row.source]
            out_cursor[level][row.source] = s_top - row.amount
            t_top = in_cursor[level + 1][row.target]
            in_cursor[level + 1][row.target] = t_top - row.amount
            colour = area_colour[row.area]
            path = _ribbon(
                xs[level] + width / 2,
                xs[level + 1] - width / 2,
                (s_top, s_top - row.amount),
                (t_top, t_top - row.amount),
            )
            alpha = 0.35 if level == 2 else 0.5
            ax.add_patch(PathPatch(path, facecolor=colour, alpha=alpha, edgecolor="none"))

    for level, nodes in enumerate(positions):
        for name, (top, bottom) in nodes.items():
            ax.add_patch(
                Rectangle(
                    (xs[level] - width / 2, bottom),
                    width,
                    top - bottom,
                    facecolor="#444444",
                    edgecolor="none",
                )
            )
            amount = top - bottom
            wrapped = _wrap(label(level, name), 24 if level in (0, 3) else 21)
            text = f"{wrapped}\n{style.format_mkr(amount)}"
            middle = (top + bottom) / 2
            if level == 0:
                ax.text(xs[0] - width, middle, text, ha="right", va="center", fontsize=7)
            elif level == 3:
                ax.text(xs[3] + width, middle, text, ha="left", va="center", fontsize=7)
            else:
                ax.text(
                    xs[level] + width,
                    middle,
                    text,
                    ha="left",
                    va="center",
                    fontsize=6.5,
                    bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 0.6},
                )
    for x, heading in zip(xs, FLOW_LEVEL_TITLES, strict=True):
        ax.text(
            x,
            top_level + gap * 2.2,
            heading,
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
        )
    ax.set_xlim(-0.75, 3.85)
    ax.set_ylim(-gap, top_level + gap * 5)
    ax.set_title(title, loc="left")
    data = pd.DataFrame(
        {
            "Steg": [f"{FLOW_LEVEL_TITLES[lv]} → {FLOW_LEVEL_TITLES[lv + 1]}"
                     for lv in links["level"]],
            "Från": [label(lv, n) for lv, n in zip(links["level"], links["source"], strict=True)],
            "Till": [label(lv + 1, n)
                     for lv, n in zip(links["level"], links["target"], strict=True)],
            "Belopp": links["amount"].to_numpy(dtype=float),
        }
    )
    alt = (
        "Flödesdiagram: hur självkostnaden, totalt " + style.format_kr(total)
        + ", går från kostnadsslag via tjänsteområden och fördelningsnycklar till kunderna; "
        f"de {len(customers) - (OTHERS in customers)} största kunderna visas var för sig."
    )
    return describe(fig, alt, data, {"Belopp": "kr"})


# ---- narrative chapters (governance, keys)

ILLUSTRATIVE_NOTE = "Ofylld markering = illustrativ (antagen) tidpunkt"
_MEETING_MARKERS = ["o", "s", "D", "^", "v", "P"]


@styled
def annual_cycle_figure(
    meetings: pd.DataFrame, events: pd.DataFrame, title: str = "Årshjul"
) -> Figure:
    """The year month by month: forum meetings above, other milestones below.

    ``meetings``: row (forum), group (kind of meeting), month (1–12), illustrative (bool).
    ``events``: row (category), month, illustrative. One line per row, in order of first
    appearance; several events in one month and row show their count. Colour and marker shape
    tell the groups apart (also in greyscale); an illustrative time is drawn hollow.
    """
    from matplotlib.lines import Line2D

    from .billing import MONTHS_SV

    meeting_rows = list(dict.fromkeys(meetings["row"]))
    event_rows = list(dict.fromkeys(events["row"]))
    groups = list(dict.fromkeys(meetings["group"]))
    height = 3.0 + 0.6 * (len(meeting_rows) + len(event_rows))
    fig = new_figure(min(24.0, max(7.0, height)))
    ratios = [max(1, len(meeting_rows)), max(1, len(event_rows))]
    axes = fig.subplots(2, 1, sharex=True, height_ratios=ratios)

    def draw(ax, frame, rows, colour_of, marker_of, label_of):
        for y, row in enumerate(rows):
            part = frame[frame["row"] == row]
            for (month, illustrative), cell in part.groupby(["month", "illustrative"]):
                colour = colour_of(cell.iloc[0])
                ax.scatter(
                    month,
                    y,
                    s=70,
                    marker=marker_of(cell.iloc[0]),
                    facecolor="white" if illustrative else colour,
                    edgecolor=colour,
                    linewidth=1.4,
                    zorder=3,
                    label=label_of(cell.iloc[0]),
                )
                if len(cell) > 1:
                    ax.annotate(
                        str(len(cell)),
                        (month, y),
                        xytext=(5, 4),
                        textcoords="offset points",
                        fontsize=7,
                    )
        ax.set_yticks(range(len(rows)), labels=[_wrap(r, 46) for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)

    def group_colour(item):
        return style.AREA_COLOURS[groups.index(item["group"]) % len(style.AREA_COLOURS)]

    def group_marker(item):
        return _MEETING_MARKERS[groups.index(item["group"]) % len(_MEETING_MARKERS)]

    def event_colour(item):
        index = (event_rows.index(item["row"]) + len(groups)) % len(style.AREA_COLOURS)
        return style.AREA_COLOURS[index]

    draw(axes[0], meetings, meeting_rows, group_colour, group_marker, lambda i: i["group"])
    draw(axes[1], events, event_rows, event_colour, lambda _i: "o", lambda _i: None)
    axes[0].set_title(title, loc="left")
    axes[1].set_xticks(range(1, 13), labels=[m[:3] for m in MONTHS_SV])
    axes[1].set_xlim(0.5, 12.5)
    axes[0].tick_params(axis="x", length=0)

    handles = [
        Line2D(
            [],
            [],
            marker=_MEETING_MARKERS[i % len(_MEETING_MARKERS)],
            linestyle="",
            markerfacecolor=style.AREA_COLOURS[i % len(style.AREA_COLOURS)],
            markeredgecolor=style.AREA_COLOURS[i % len(style.AREA_COLOURS)],
            label=group,
        )
        for i, group in enumerate(groups)
    ]
    illustrative = bool(meetings["illustrative"].any() or events["illustrative"].any())
    if illustrative:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor=style.NEUTRAL_COLOUR,
                label=ILLUSTRATIVE_NOTE,
            )
        )
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=min(3, len(handles)))
    rows = pd.concat(
        [
            meetings.assign(kind=meetings["group"])[["row", "kind", "month", "illustrative"]],
            events.assign(kind="Händelse")[["row", "kind", "month", "illustrative"]],
        ],
        ignore_index=True,
    )
    data = pd.DataFrame(
        {
            "Forum eller händelse": rows["row"],
            "Slag": rows["kind"],
            "Månad": [MONTHS_SV[int(m) - 1] for m in rows["month"]],
            "Tidpunkt": ["antagande" if i else "enligt underlaget" for i in rows["illustrative"]],
        }
    )
    alt = (
        f"Årshjul: månad för månad när {len(meeting_rows)} forum möts och när "
        f"{len(event_rows)} slags andra händelser infaller under året."
    )
    return describe(fig, alt, data)


# ---- sensitivity and behaviour

SCENARIO_COLOURS = ("#0072B2", "#E69F00")  # first and second scenario of a paired bar chart
SCENARIO_HATCHES = ("///", "")


def _paired_barh(
    frame: pd.DataFrame,
    label: str,
    columns: tuple[str, str],
    names: tuple[str, str],
    height_cm: float,
    margin: float,
    wrap: int,
    title: str,
) -> Figure:
    """Two signed kronor bars per row from a zero line, the first row on top; the scenario is
    told apart by colour and hatch (not by the sign), the amounts written at the bar ends."""
    values = frame[list(columns)].to_numpy(dtype=float)
    rows = len(frame)
    fig = new_figure(height_cm)
    ax = fig.add_subplot()
    y = np.arange(rows)
    for i, offset in enumerate((-0.19, 0.19)):
        ax.barh(
            y + offset,
            values[:, i],
            height=0.36,
            color=SCENARIO_COLOURS[i],
            hatch=SCENARIO_HATCHES[i],
            edgecolor="white",
            linewidth=0.5,
            label=names[i],
        )
        for yi, v in zip(y, values[:, i], strict=True):
            ax.text(
                v,
                yi + offset,
                f" {style.format_signed_kr(v)} ",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=6.5 if rows > 6 else 7,
            )
    span = float(np.abs(values).max()) if values.size else 0.0
    _tidy_barh(ax, [_wrap(t, wrap) for t in frame[label]], span)
    ax.axvline(0, color="#333333", linewidth=0.8)
    low = min(0.0, float(values.min()) if values.size else 0.0)
    high = max(0.0, float(values.max()) if values.size else 0.0)
    width = max(high - low, 1.0)
    ax.set_xlim(
        low - margin * width if low < 0 else -0.05 * width,
        high + margin * width if high > 0 else 0.05 * width,
    )
    ax.tick_params(axis="y", labelsize=7 if rows > 12 else 8)
    if title:
        ax.set_title(title, loc="left")
    fig.legend(loc="outside lower center", ncol=2)
    data = frame[[label, *columns]].rename(
        columns={label: "Rad", columns[0]: names[0], columns[1]: names[1]}
    )
    alt = (
        f"Stapeldiagram: förändringen i kronor för {rows} rader, två staplar per rad "
        f"({names[0].lower()} och {names[1].lower()}); "
        + _extremes(data.assign(störst=np.abs(values).max(axis=1)), "Rad", "störst",
                    lambda v: "upp till " + style.format_kr(v))
        .replace("störst är", "mest påverkad är").replace(", minst", ", minst påverkad")
        + "."
    )
    return describe(fig, alt, data, {names[0]: "signed_kr", names[1]: "signed_kr"})


@styled
def tornado_figure(
    frame: pd.DataFrame,
    down_label: str,
    up_label: str,
    title: str = "",
    label: str = "label",
    down: str = "change_down",
    up: str = "change_up",
) -> Figure:
    """A tornado chart: per row, the change in kronor when a weight moves down and up.

    ``frame`` has a display-label column and two signed kronor columns (``down``, ``up``), in
    display order (the most exposed first, drawn on top). Two bars per row from 0, told apart by
    colour and hatch (the scenario, not the sign); ``down_label``/``up_label`` name them.
    """
    rows, wrap = len(frame), 34
    # a row must hold its label: "customer – key" may wrap to three lines (a long key name),
    # which overlapped the next row's label at the two-line height
    lines = max((_wrap(t, wrap).count("\n") + 1 for t in frame[label]), default=1)
    per_row = max(0.8 if rows <= 12 else 0.5, 0.36 * lines + 0.1)
    height = _barh_height_cm(rows, per_row, 3.8)
    return _paired_barh(
        frame, label, (down, up), (down_label, up_label), height, 0.45, wrap, title
    )


@styled
def behaviour_figure(
    overview: pd.DataFrame,
    title: str = "",
    short_label: str = "Kort sikt",
    long_label: str = "Lång sikt",
) -> Figure:
    """The change in kronor, short and long run, for a few rows (the customer that changes,
    the others together, the total): columns label, short_change, long_change."""
    height = _barh_height_cm(len(overview), 1.3, 3.2)
    return _paired_barh(
        overview,
        "label",
        ("short_change", "long_change"),
        (short_label, long_label),
        height,
        0.6,
        28,
        title,
    )


# ---- scenarios


@styled
def scenario_change_figure(
    changes: pd.DataFrame,
    title: str = "Förändring per kund i scenariot, uppdelad på tjänsteområden",
) -> Figure:
    """Diverging stacked bars: each customer's change in kronor, split by service area.

    ``changes`` is wide: index = customer display names (the first row is drawn on top, e.g.
    the largest change first), one column per service area (display names, in model order so
    the colours match the other figures), values = signed kronor. Increases stack to the right
    of 0 and decreases to the left, one bar segment per customer and area (areas differ by
    colour and hatch); a black diamond and the amount mark the customer's net change. Areas
    without any change are left out.
    """
    frame = changes.fillna(0.0)
    rows = len(frame)
    dense = rows > 12
    fig = new_figure(_barh_height_cm(rows, 0.42 if dense else 0.7, 4.2))
    ax = fig.add_subplot()
    y = np.arange(rows)
    right, left = np.zeros(rows), np.zeros(rows)
    for i, area in enumerate(frame.columns):
        values = frame[area].to_numpy(dtype=float)
        if not np.any(values):
            continue
        look = {
            "height": 0.7,
            "color": style.AREA_COLOURS[i % len(style.AREA_COLOURS)],
            "hatch": HATCHES[i % len(HATCHES)],
            "edgecolor": "white",
            "linewidth": 0.5,
        }
        gains, losses = np.clip(values, 0, None), np.clip(values, None, 0)
        ax.barh(y, gains, left=right, label=_wrap(area, 28), **look)
        ax.barh(y, losses, left=left, **look)
        right, left = right + gains, left + losses
    net = frame.sum(axis=1).to_numpy(dtype=float)
    if rows:
        ax.scatter(net, y, marker="D", s=14, color="black", zorder=3, label="Nettoförändring")
    for yi, high, low, value in zip(y, right, left, net, strict=True):
        text = style.format_kr(value)
        text = "+" + text if round(value) > 0 else text
        ax.annotate(
            text,
            (high if value >= 0 else low, yi),
            xytext=(7 if value >= 0 else -7, 0),
            textcoords="offset points",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=7,
        )
    low = float(left.min()) if rows else 0.0
    high = float(right.max()) if rows else 0.0
    span = max(high, -low) or 1.0
    _tidy_barh(ax, [_wrap(name, 60 if dense else 30) for name in frame.index], span)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlim(
        low - 0.5 * span if low < 0 else -0.05 * span,
        high + 0.5 * span if high > 0 else 0.05 * span,
    )
    ax.tick_params(axis="y", labelsize=7 if dense else 8)
    if title:
        ax.set_title(title, loc="left")
    if rows:
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i] == "Nettoförändring")
        fig.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="outside lower center",
            ncol=3,
        )
    data = frame.copy()
    data["Netto"] = net
    data = data.reset_index(names="Kund")
    alt = (
        f"Stapeldiagram: förändringen i kronor i scenariot för {rows} kunder, uppdelad på "
        "tjänsteområden, ökningar till höger och minskningar till vänster; "
        + _extremes(data, "Kund", "Netto", style.format_signed_kr).replace(
            "störst är", "störst ökning har").replace(", minst", ", störst minskning")
        + "."
    )
    return describe(fig, alt, data, {c: "signed_kr" for c in data.columns if c != "Kund"})


# ---- trends

TREND_MARKERS = ["o", "s", "D", "^", "v", "P", "X", "*"]
TREND_LINESTYLES = ["-", "--", "-.", ":"]
# Earlier years in greys (the year before darkest, plain; older ones lighter and hatched),
# the latest year in the report's blue: the years stay apart in greyscale print.
_YEAR_GREYS = [("#9A9A9A", ""), ("#C8C8C8", "///"), ("#E2E2E2", "..."), ("#F0F0F0", "xxx")]


def _year_axis(ax, years: Sequence[str]) -> None:
    x = [int(y) for y in years]
    ax.set_xticks(x, labels=[str(y) for y in years])
    ax.set_xlim(min(x) - 0.35, max(x) + 0.35)
    ax.grid(axis="x", visible=False)


def _tick_formatter(ax) -> None:
    """Swedish y tick labels with just the decimals the tick step needs (0,03 or 250)."""
    ticks = ax.get_yticks()
    step = float(np.min(np.diff(ticks))) if len(ticks) > 1 else 1.0
    decimals = next((d for d in range(5) if abs(round(step, d) - step) < step * 1e-6), 4)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: style.format_number(v, decimals)))


def _draw_trend_lines(ax, frame: pd.DataFrame, years: Sequence[str], label: str, start: int = 0):
    """One line per row across the years; a gap (NaN) breaks the line, markers show the
    points (also a lone one). Colour, marker and line style differ per row."""
    x = [int(y) for y in years]
    for i, (_, row) in enumerate(frame.iterrows()):
        n = start + i
        ax.plot(
            x,
            row[list(years)].to_numpy(dtype=float),
            color=style.AREA_COLOURS[n % len(style.AREA_COLOURS)],
            marker=TREND_MARKERS[n % len(TREND_MARKERS)],
            linestyle=TREND_LINESTYLES[n % len(TREND_LINESTYLES)],
            linewidth=1.6,
            markersize=5,
            label=_wrap(row[label], 34),
        )


@styled
def trend_lines_figure(
    frame: pd.DataFrame,
    years: Sequence[str],
    label: str = "name",
    title: str = "",
) -> Figure:
    """Kronor over the years: one line per row of ``frame`` (columns ``label`` and one per
    year, oldest first), the y axis from 0 in kronor or millions; legend below."""
    fig = new_figure(9.0)
    ax = fig.add_subplot()
    _draw_trend_lines(ax, frame, years, label)
    top = float(np.nanmax(frame[list(years)].to_numpy(dtype=float))) if len(frame) else 1.0
    formatter, unit = amount_formatter(top)
    ax.yaxis.set_major_formatter(formatter)
    ax.set_ylabel(unit)
    ax.set_ylim(0, top * 1.1 or 1)
    _year_axis(ax, years)
    if title:
        ax.set_title(title, loc="left")
    fig.legend(loc="outside lower center", ncol=min(3, max(1, len(frame))))
    return _describe_trend(fig, "Linjediagram", frame, years, label, "kronor", "kr")


@styled
def trend_panels_figure(
    frame: pd.DataFrame,
    years: Sequence[str],
    panel_titles: Mapping[str, str],
    panel: str = "service_area",
    label: str = "name",
    unit: str = "",
    title: str = "",
    columns: int = 3,
) -> Figure:
    """Small multiples: one panel per value of ``panel`` (titled by ``panel_titles``, in that
    order), one line per row in it, each panel on its own y scale from 0 (unit prices of
    different keys differ a hundredfold). A panel with several lines has a legend below it."""
    groups = [g for g in panel_titles if (frame[panel] == g).any()]
    columns = max(1, min(columns, len(groups)))
    rows = max(1, -(-len(groups) // columns))
    fig = new_figure(min(24.0, 1.0 + 4.6 * rows))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for n, (ax, group) in enumerate(zip(axes, groups, strict=False)):
        part = frame[frame[panel] == group]
        _draw_trend_lines(ax, part, years, label)
        top = np.nanmax(part[list(years)].to_numpy(dtype=float)) if len(part) else np.nan
        ax.set_ylim(0, float(top) * 1.15 if np.isfinite(top) and top > 0 else 1)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        _tick_formatter(ax)
        ax.tick_params(labelsize=7)
        if unit and n % columns == 0:
            ax.set_ylabel(unit, fontsize=7)
        _year_axis(ax, years)
        ax.set_title(_wrap(panel_titles[group], 30), loc="left", fontsize=8)
        if len(part) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(0, -0.15), fontsize=7)
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, x=0.0, ha="left", fontsize=10, fontweight="bold")
    return _describe_trend(
        fig,
        "Linjediagram i en panel per grupp",
        frame.assign(**{panel: frame[panel].map(panel_titles)}),
        years,
        label,
        unit or "värde",
        "decimal",
        group=panel,
    )


@styled
def customer_trend_figure(
    frame: pd.DataFrame,
    years: Sequence[str],
    label: str = "name",
    title: str = "",
) -> Figure:
    """Each customer's charge per year: one bar per year and customer (first row on top),
    earlier years grey, the latest year in blue; no bar where there was no charge."""
    rows = len(frame)
    fig = new_figure(_barh_height_cm(rows, 0.22 * len(years) + 0.2, 3.2))
    ax = fig.add_subplot()
    y = np.arange(rows)
    height = 0.84 / max(1, len(years))
    for i, year in enumerate(years):
        older = len(years) - 1 - i  # 0 for the latest year, 1 for the year before, …
        colour, hatch = (NEW_COLOUR, "") if older == 0 else _YEAR_GREYS[(older - 1) % 4]
        ax.barh(
            y - 0.42 + height * (i + 0.5),
            frame[year].to_numpy(dtype=float),
            height=height,
            color=colour,
            hatch=hatch,
            edgecolor="#777777" if hatch else colour,
            linewidth=0.3,
            label=str(year),
        )
    top = float(np.nanmax(frame[list(years)].to_numpy(dtype=float))) if rows else 1.0
    _tidy_barh(ax, [_wrap(n, 42) for n in frame[label]], top)
    ax.tick_params(axis="y", labelsize=7 if rows > 12 else 8)
    if title:
        ax.set_title(title, loc="left")
    ax.legend(loc="lower right", ncol=len(years))
    return _describe_trend(fig, "Stapeldiagram", frame, years, label, "kronor per kund", "kr")


def _describe_trend(
    fig: Figure,
    kind: str,
    frame: pd.DataFrame,
    years: Sequence[str],
    label: str,
    unit: str,
    fmt: str,
    group: str | None = None,
) -> Figure:
    """The text alternative of a figure over the years: one row per line, one column per year."""
    columns = [*([group] if group else []), label, *years]
    data = frame[columns].rename(columns={label: "Namn", **({group: "Grupp"} if group else {})})
    data.columns = [str(c) for c in data.columns]
    alt = (
        f"{kind} över åren {years[0]}–{years[-1]}: {unit} för {len(frame)} rader"
        + (f" i {frame[group].nunique()} grupper" if group else "")
        + "; siffrorna per år står i tabellen."
    )
    return describe(fig, alt, data, {str(y): fmt for y in years})
