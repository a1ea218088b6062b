"""Weight sensitivity: how each customer's charge moves when one key's weight moves.

A customer's exact charge for a service area is ``x_i = Σ_k C · w_k · v_ik / V_k`` (rules 5–6),
so for any number of weight vectors at once the charges are one matrix product::

    charges (n_vectors × n_customers) = (W · C) @ S,   S[k, i] = v_ik / V_k

with W the weight vectors (n_vectors × n_keys) and C the exact full cost of the area. The
amounts are exact kronor before the rounding to whole kronor (rule 7); the sum over customers
stays the full cost in every scenario.

Moving key k by Δ percentage points sets ``w_k' = clip(w_k + Δ, 0, 1)`` and rescales the other
keys proportionally so that the weights still sum to 1: ``w_j' = w_j · (1 − w_k') / (1 − w_k)``.
When the other keys all have weight 0 (nothing to rescale) the freed weight is shared equally
between those of them that have volume. A key without volume cannot carry weight (rule 6) and is
never moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calculation import PriceModelResult, dedicated_charges
from .inputs import PriceModelInput

DELTAS = (-20, -10, -5, 5, 10, 20)  # percentage points
_TOLERANCE = 1e-12

TABLE_COLUMNS = [
    "customer_id",
    "name",
    "key_id",
    "key_name",
    "delta",
    "applied_delta",
    "weight",
    "clipped",
    "base_charge",
    "charge",
    "change_kr",
    "change_pct",
]


def area_keys(model: PriceModelInput, area: str) -> pd.DataFrame:
    """The keys of one service area in model order; a clear error for an unknown area."""
    keys = model.keys[model.keys["service_area"] == area]
    if keys.empty:
        known = ", ".join(model.service_areas["service_area"])
        raise ValueError(f"tjänsteområdet {area!r} finns inte i model.yml. Tjänsteområden: {known}")
    return keys.reset_index(drop=True)


def exact_full_cost(result: PriceModelResult, area: str) -> float:
    """The area's exact full cost C_s (before rounding): its key pools and dedicated services."""
    return float(result.full_cost.set_index("service_area").at[area, "exact_full_cost"])


def keyed_cost(result: PriceModelResult, area: str) -> float:
    """K_s, the part of C_s that the keys share (C_s less the dedicated services, rule 5)."""
    costs = result.full_cost.set_index("service_area")
    column = "keyed_cost" if "keyed_cost" in costs else "exact_full_cost"
    return float(costs.at[area, column])


def share_matrix(model: PriceModelInput, result: PriceModelResult, area: str) -> pd.DataFrame:
    """S[k, i] = v_ik / V_k for the area: index key_id (model order), columns customer_id.

    The customers are those with a price-list row for the area (volume or a dedicated service),
    in customer_id order. A key without volume has a row of zeros.
    """
    keys = area_keys(model, area)["key_id"]
    rows = result.allocation[result.allocation["service_area"] == area]
    matrix = rows.pivot(index="key_id", columns="customer_id", values="share")
    # A customer with only a dedicated service has a price-list row too: a column of zeros.
    own = dedicated_charges(result.dedicated_services, area)
    customers = sorted(set(matrix.columns) | set(own.index))
    matrix = matrix.reindex(index=keys, columns=customers).fillna(0.0)
    matrix.columns.name = "customer_id"
    return matrix


def key_weights(model: PriceModelInput, area: str) -> pd.Series:
    """The area's weights by key_id, in model order."""
    keys = area_keys(model, area)
    return pd.Series(keys["weight"].to_numpy(dtype=float), index=keys["key_id"], name="weight")


def movable_keys(shares: pd.DataFrame) -> pd.Series:
    """Keys that can carry weight: those with volume (a non-zero row of S)."""
    return pd.Series(shares.to_numpy().sum(axis=1) > 0, index=shares.index)


@dataclass(frozen=True)
class WeightScenarios:
    """Weight vectors from moving one key: one row per requested change."""

    key: str
    deltas: np.ndarray  # requested change of the key's weight, percentage points
    weights: pd.DataFrame  # one row per delta, one column per key_id; each row sums to 1
    applied: np.ndarray  # the change actually applied, percentage points (after clipping)
    clipped: np.ndarray  # True where the key's weight stopped at 0 or 1

    @property
    def matrix(self) -> np.ndarray:
        return self.weights.to_numpy()


def weight_scenarios(
    weights: pd.Series,
    key: str,
    deltas: Sequence[float] | np.ndarray = DELTAS,
    movable: pd.Series | None = None,
) -> WeightScenarios:
    """Move ``key``'s weight by each of ``deltas`` percentage points, the others rescaled.

    ``weights`` is indexed by key_id and sums to 1; ``movable`` (same index, bool) marks the keys
    that may carry weight, by default all. Vectorised: any number of deltas at once.
    """
    if key not in weights.index:
        raise ValueError(f"nyckeln {key!r} finns inte bland {', '.join(weights.index)}")
    w = weights.to_numpy(dtype=float)
    can = np.ones(len(w), bool) if movable is None else movable.reindex(weights.index).to_numpy()
    position = weights.index.get_loc(key)
    if not can[position]:
        raise ValueError(f"nyckeln {key!r} har ingen volym och kan inte bära någon vikt")
    requested = np.asarray(deltas, dtype=float)
    target = w[position] + requested / 100
    others = w.copy()
    others[position] = 0.0
    rest = others.sum()
    receivers = can.copy()
    receivers[position] = False
    if rest <= _TOLERANCE and not receivers.any():
        new = np.ones_like(target)  # the only key with volume: it keeps the whole cost
    else:
        new = np.clip(target, 0.0, 1.0)
    if rest > _TOLERANCE:
        matrix = others[None, :] * ((1.0 - new) / rest)[:, None]
    else:
        matrix = np.zeros((len(new), len(w)))
        if receivers.any():
            matrix[:, receivers] = ((1.0 - new) / receivers.sum())[:, None]
    matrix[:, position] = new
    return WeightScenarios(
        key=key,
        deltas=requested,
        weights=pd.DataFrame(matrix, columns=weights.index),
        applied=(new - w[position]) * 100,
        clipped=np.abs(new - target) > 1e-9,
    )


def charges_for_weights(
    weights: np.ndarray | pd.DataFrame, shares: np.ndarray | pd.DataFrame, full_cost: float
) -> np.ndarray:
    """Exact charges for many weight vectors: (W · C) @ S, shape n_vectors × n_customers."""
    w = np.asarray(weights, dtype=float)
    s = np.asarray(shares, dtype=float)
    if w.ndim == 1:
        w = w[None, :]
    if w.shape[1] != s.shape[0]:
        raise ValueError(f"{w.shape[1]} vikter men {s.shape[0]} nycklar i andelsmatrisen")
    return (w * full_cost) @ s


def sensitivity_areas(model: PriceModelInput, result: PriceModelResult) -> list[str]:
    """Service areas (model order) with more than one key that carries volume."""
    keys = model.keys[["service_area", "key_id"]]
    with_volume = set(result.allocation["key_id"])
    counts = keys[keys["key_id"].isin(with_volume)].groupby("service_area").size()
    return [a for a in model.service_areas["service_area"] if counts.get(a, 0) > 1]


def sensitivity_table(
    model: PriceModelInput,
    result: PriceModelResult,
    area: str,
    deltas: Sequence[float] = DELTAS,
) -> pd.DataFrame:
    """Each customer's exact charge when one key's weight moves by each delta.

    One row per (key with volume, delta, customer), keys in model order. Columns: customer_id,
    name, key_id, key_name, delta (requested, percentage points), applied_delta, weight (the
    key's new weight), clipped, base_charge, charge, change_kr, change_pct. Empty (with the
    columns) when the area has fewer than two keys with volume.
    """
    keys = area_keys(model, area)
    shares = share_matrix(model, result, area)
    weights = key_weights(model, area)
    movable = movable_keys(shares)
    if movable.sum() < 2:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    cost = keyed_cost(result, area)
    customers = shares.columns.to_numpy()
    # Dedicated services (rule 5) are part of the charge but do not move with the weights.
    own = dedicated_charges(result.dedicated_services, area).reindex(customers, fill_value=0.0)
    own = own.to_numpy(dtype=float)
    base = charges_for_weights(weights.to_numpy(), shares, cost)[0] + own
    names = model.customers.set_index("customer_id")["name"]
    key_names = dict(zip(keys["key_id"], keys["name"], strict=True))
    n_customers, n_deltas = len(customers), len(deltas)
    parts = []
    for key in weights.index[movable.to_numpy()]:
        scenarios = weight_scenarios(weights, key, deltas, movable)
        # n_deltas × n_customers
        charges = charges_for_weights(scenarios.matrix, shares, cost) + own[None, :]
        change = charges - base[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(base > 0, change / base, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": np.tile(customers, n_deltas),
                    "key_id": key,
                    "key_name": key_names[key],
                    "delta": np.repeat(scenarios.deltas, n_customers),
                    "applied_delta": np.repeat(scenarios.applied, n_customers),
                    "weight": np.repeat(scenarios.weights[key].to_numpy(), n_customers),
                    "clipped": np.repeat(scenarios.clipped, n_customers),
                    "base_charge": np.tile(base, n_deltas),
                    "charge": charges.ravel(),
                    "change_kr": change.ravel(),
                    "change_pct": pct.ravel(),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    table.insert(1, "name", table["customer_id"].map(names).fillna(table["customer_id"]))
    return table[TABLE_COLUMNS]


EXPOSED_COLUMNS = [
    "customer_id",
    "name",
    "key_id",
    "key_name",
    "base_charge",
    "delta_down",
    "change_down",
    "delta_up",
    "change_up",
    "exposure",
    "exposure_pct",
]


def most_exposed(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` customers whose charge moves most, each with the key that moves it most.

    From a :func:`sensitivity_table`: per customer and key, the change at the smallest
    (``change_down``) and the largest (``change_up``) delta; ``exposure`` is the larger of the
    two in absolute kronor (``exposure_pct`` relative to the base charge). Sorted from the most
    exposed; among keys that move a customer equally (two keys mirror each other) the first in
    model order is kept.
    """
    if table.empty:
        return pd.DataFrame(columns=EXPOSED_COLUMNS)
    key_order = {k: i for i, k in enumerate(dict.fromkeys(table["key_id"]))}
    low, high = table["delta"].min(), table["delta"].max()
    first = ["customer_id", "name", "key_id", "key_name", "base_charge"]
    down = table[table["delta"] == low][first + ["change_kr"]].rename(
        columns={"change_kr": "change_down"}
    )
    up = table[table["delta"] == high][["customer_id", "key_id", "change_kr"]].rename(
        columns={"change_kr": "change_up"}
    )
    both = down.merge(up, on=["customer_id", "key_id"])
    both["delta_down"] = low
    both["delta_up"] = high
    both["exposure"] = np.maximum(both["change_down"].abs(), both["change_up"].abs())
    with np.errstate(divide="ignore", invalid="ignore"):
        both["exposure_pct"] = both["exposure"] / both["base_charge"].where(both["base_charge"] > 0)
    # micro-krona precision, so that float noise cannot pick between mirrored keys
    both["_rank"] = -both["exposure"].round(6)
    both["_key"] = both["key_id"].map(key_order)
    best = both.sort_values(["_rank", "_key", "customer_id"], kind="stable")
    best = best.drop_duplicates("customer_id")
    return best.head(n)[EXPOSED_COLUMNS].reset_index(drop=True)


def exposure_table(table: pd.DataFrame, exposed: pd.DataFrame) -> pd.DataFrame:
    """For the customers of :func:`most_exposed` (in that order): the change in kronor at every
    delta of their key, one column ``change_<delta>`` per delta, and the weight clipping noted.

    Columns: name, key_name, base_charge, change_<delta>…, exposure_pct, clipped (the deltas
    where the weight stopped at 0 or 100 %, as text, empty if none).
    """
    deltas = sorted(table["delta"].unique())
    rows = table.merge(exposed[["customer_id", "key_id"]], on=["customer_id", "key_id"])
    wide = rows.pivot(index="customer_id", columns="delta", values="change_kr")
    wide.columns = [delta_column(d) for d in wide.columns]
    out = exposed[["customer_id", "name", "key_name", "base_charge"]].join(wide, on="customer_id")
    out["exposure_pct"] = exposed["exposure_pct"].to_numpy()
    clipped = rows[rows["clipped"]].groupby("customer_id")["delta"].apply(clipping_note)
    out["clipped"] = [clipped.get(c, "") for c in out["customer_id"]]
    return out[
        ["name", "key_name", "base_charge"]
        + [delta_column(d) for d in deltas]
        + ["exposure_pct", "clipped"]
    ]


def clipping_note(deltas: Sequence[float]) -> str:
    """Where a key's weight stopped at a limit, in words: 'vikten stannar vid 0 % vid −20'."""
    from .style import format_percent

    parts = []
    for limit, chosen in ((0.0, [d for d in deltas if d < 0]), (1.0, [d for d in deltas if d > 0])):
        if chosen:
            steps = ", ".join(format_delta(d) for d in sorted(chosen, key=abs))
            parts.append(f"vikten stannar vid {format_percent(limit, 0)} vid {steps}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def delta_column(delta: float) -> str:
    return f"change_{delta:g}"


def format_delta(delta: float) -> str:
    """5 → '+5', -20 → '−20' (percentage points, typographic minus)."""
    from .style import MINUS

    return f"+{delta:g}" if delta > 0 else f"{MINUS}{abs(delta):g}"


def clipped_keys(table: pd.DataFrame) -> pd.DataFrame:
    """The keys and deltas where the weight stopped at 0 or 100 %: key_id, key_name, weight
    (the weight it stopped at), deltas (sorted list)."""
    rows = table[table["clipped"]].drop_duplicates(["key_id", "delta"])
    return (
        rows.groupby(["key_id", "key_name", "weight"], sort=False)["delta"]
        .apply(lambda d: sorted(d.tolist()))
        .rename("deltas")
        .reset_index()
    )


# --------------------------------------------------------------------------- report text


def weights_text(model: PriceModelInput, area: str) -> str:
    """'Antal fakturor 50 %, Felaktiga fakturor 25 % och Antal krav 25 %' (plain text)."""
    from .report_tables import join_sv
    from .style import format_percent

    keys = area_keys(model, area)
    return join_sv(
        [f"{k.name} {format_percent(k.weight, 0)}" for k in keys.itertuples(index=False)]
    )


def example_sentence(
    model: PriceModelInput,
    result: PriceModelResult,
    tables: dict[str, pd.DataFrame],
    delta: float = 10,
) -> str:
    """One worked sentence for the chapter's introduction: the customer whose charge moves
    most (over all areas) when its key's weight moves by ``delta`` (or ``-delta`` when that
    would pass a limit)."""
    from .report_tables import area_names
    from .style import format_kr, format_percent

    rows = pd.concat(
        [t.assign(service_area=a) for a, t in tables.items() if not t.empty], ignore_index=True
    )
    rows = rows[rows["delta"].isin([delta, -delta]) & ~rows["clipped"]]
    if rows.empty:
        return ""
    rows = rows.assign(_size=-rows["change_kr"].abs().round(6), _up=rows["delta"] < 0)
    row = rows.sort_values(["_size", "_up", "customer_id"], kind="stable").iloc[0]
    weight = float(row["weight"]) - float(row["applied_delta"]) / 100
    verb = "höjs" if row["applied_delta"] > 0 else "sänks"
    direction = "ökar" if row["change_kr"] > 0 else "minskar"
    pct = format_percent(abs(row["change_pct"])) if pd.notna(row["change_pct"]) else "–"
    return (
        f"Ett exempel: om vikten för nyckeln {row['key_name']} inom "
        f"{area_names(model)[row['service_area']]} {verb} från {format_percent(weight, 0)} till "
        f"{format_percent(row['weight'], 0)} ({format_delta(row['applied_delta'])} "
        f"procentenheter) och de andra nycklarna ändras i samma proportion, {direction} "
        f"priset för {row['name']} med {format_kr(abs(row['change_kr']))} ({pct}), från "
        f"{format_kr(row['base_charge'])} till {format_kr(row['charge'])}."
    )


def area_markdown(
    model: PriceModelInput, area: str, table: pd.DataFrame, exposed: pd.DataFrame
) -> str:
    """The text of one service area's section: heading, keys and weights, what is shown and
    where a weight stopped at 0 or 100 % (Markdown, data escaped)."""
    from .report_tables import area_names, join_sv, number_word
    from .style import format_percent, md_escape

    customers = table["customer_id"].nunique()
    shown = (
        f"Diagrammet och tabellen visar de {number_word(len(exposed))} kunder (av "
        f"{number_word(customers)}) vars pris påverkas mest"
        if len(exposed) < customers
        else f"Diagrammet och tabellen visar tjänsteområdets {number_word(customers)} kunder"
    )
    parts = [
        f"Nycklarna och deras vikter: {weights_text(model, area)}. {shown}, var och en med den "
        "nyckel vars vikt flyttar kundens pris mest."
    ]
    limits = clipped_keys(table)
    limits["steps"] = [tuple(sorted(d, key=abs)) for d in limits["deltas"]]
    for (weight, steps), group in limits.groupby(["weight", "steps"], sort=False):
        bound = "höjas över" if steps[0] > 0 else "sänkas under"
        names = join_sv(list(group["key_name"]))
        subject = f"Vikten för {names}" if len(group) == 1 else f"Vikterna för {names}"
        parts.append(
            f"{subject} kan inte {bound} {format_percent(weight, 0)}: vid "
            f"{join_sv([format_delta(d) for d in steps])} procentenheter stannar "
            f"{'den' if len(group) == 1 else 'de'} där."
        )
    weights = key_weights(model, area)
    if (weights >= 1 - 1e-9).any():
        parts.append(
            "När en nyckel med vikten 100 % sänks har de andra nycklarna ingen vikt att ändra i "
            "proportion; den frigjorda vikten delas då lika mellan dem."
        )
    heading = f"## {md_escape(area_names(model)[area])}"
    return heading + "\n\n" + md_escape(" ".join(parts)) + "\n"


def scope_sentence(model: PriceModelInput, result: PriceModelResult) -> str:
    """Which service areas the chapter covers and which it leaves out (one key only)."""
    from .report_tables import area_names, join_sv, number_word

    names = area_names(model)
    areas = sensitivity_areas(model, result)
    left_out = join_sv([name for area, name in names.items() if area not in areas])
    if not areas:
        return "Inget tjänsteområde har mer än en nyckel med volym, så kapitlet har inget att visa."
    if not left_out:
        if len(areas) == 1:
            return f"Det gäller tjänsteområdet {names[areas[0]]}."
        return (
            f"Det gäller alla {number_word(len(areas))} tjänsteområdena, eftersom alla har mer "
            "än en nyckel."
        )
    covered = (
        f"Det gäller {names[areas[0]]}, det enda tjänsteområdet med mer än en nyckel."
        if len(areas) == 1
        else f"Det gäller de {number_word(len(areas))} tjänsteområden som har mer än en "
        f"nyckel: {join_sv([names[a] for a in areas])}."
    )
    return f"{covered} {left_out} har bara en nyckel med volym och ingår därför inte."
