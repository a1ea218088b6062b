"""The price model's calculation: full cost, key pools, allocation, price list, unit prices,
hourly rates and the old/new comparison (rules 1–10 of the spec).

Every function is pure: DataFrames in, DataFrames out. Amounts are float kronor; the price list
is whole kronor that sum exactly to the published full cost of each service area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .exact import (
    exact_cells,
    exact_dedicated_costs,
    exact_full_costs,
    exact_hourly_rates,
    exact_key_pools,
    exact_keyed_costs,
    float_bound,
    round_half_up_exact,
)
from .inputs import INTERNAL_OVERHEAD, PriceModelInput

# round_half_up is for amounts derived for display (the report's tables): it treats float noise
# below a micro-krona as none. The published kronor (full cost, price list, hourly rates) are
# rounded from exact values instead (exact.py).
_PRECISION = 6

_DEDICATED_DTYPES = {"fte": float, "amount": float}

FULL_COST_COLUMNS = [
    "service_area",
    "fte",
    "personnel",
    "administration_overhead",
    "internal_overhead",
    "other_costs",
    "full_cost",
]


def round_half_up(values: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """Whole kronor, halves away from zero for the non-negative amounts of the model."""
    return np.floor(np.round(values, _PRECISION) + 0.5)


def internal_overhead_pool(
    staffing: pd.DataFrame,
    cost_standards: pd.Series,
    administration_overhead_per_fte: float,
    other_costs: pd.DataFrame,
) -> float:
    """Rule 2: P = Σ_c FTE[internt_overhead,c]·(std[c] + a) + other costs of internt_overhead."""
    rows = staffing[staffing["service_area"] == INTERNAL_OVERHEAD]
    staff = (
        rows["fte"] * (rows["staff_category"].map(cost_standards) + administration_overhead_per_fte)
    ).sum()
    other = other_costs.loc[other_costs["service_area"] == INTERNAL_OVERHEAD, "amount"].sum()
    return float(staff + other)


def full_cost(
    model: PriceModelInput,
    *,
    dedicated: pd.DataFrame | None = None,
    exact: pd.Series | None = None,
) -> pd.DataFrame:
    """Rules 1–4: full cost per service area and its build-up, in model order.

    Columns: service_area, fte, personnel, administration_overhead, internal_overhead,
    other_costs, exact_full_cost (C_s), full_cost (F_s, whole kronor), dedicated and
    keyed_cost. :func:`calculate` passes ``dedicated`` (:func:`dedicated_costs`) and ``exact``
    (:func:`exact.exact_full_costs`), which it needs itself, so each is computed once; without
    them they are computed here.
    """
    areas = model.service_areas["service_area"]
    staffing = model.staffing[model.staffing["service_area"] != INTERNAL_OVERHEAD]
    personnel_rows = staffing["fte"] * staffing["staff_category"].map(model.cost_standards)
    by_area = pd.DataFrame(
        {
            "fte": staffing.groupby("service_area")["fte"].sum(),
            "personnel": personnel_rows.groupby(staffing["service_area"]).sum(),
        }
    ).reindex(areas, fill_value=0.0)
    table = by_area.rename_axis("service_area").reset_index()
    table["administration_overhead"] = table["fte"] * model.administration_overhead_per_fte
    pool = internal_overhead_pool(
        model.staffing,
        model.cost_standards,
        model.administration_overhead_per_fte,
        model.other_costs,
    )
    table["internal_overhead"] = pool * table["fte"] / table["fte"].sum()
    other = model.other_costs.groupby("service_area")["amount"].sum()
    table["other_costs"] = areas.map(other).fillna(0.0).to_numpy()
    table["exact_full_cost"] = (
        table["personnel"]
        + table["administration_overhead"]
        + table["internal_overhead"]
        + table["other_costs"]
    )
    # F_s decides every krona of the price list: rounded from the exact C_s, not the float.
    if exact is None:
        exact = exact_full_costs(model)
    table["full_cost"] = np.array([round_half_up_exact(c) for c in exact], dtype="int64")
    if dedicated is None:
        dedicated = dedicated_costs(model)
    by_area = dedicated.groupby("service_area")["amount"].sum()
    table["dedicated"] = areas.map(by_area).fillna(0.0).to_numpy(dtype=float)
    # K_s >= 0 exactly (dedicated FTEs are part of the area's staffing); clip float noise only.
    table["keyed_cost"] = np.maximum(table["exact_full_cost"] - table["dedicated"], 0.0)
    return table


DEDICATED_COLUMNS = [
    "service_area",
    "service_id",
    "name",
    "customer_id",
    "staff_category",
    "fte",
    "amount",
]


def dedicated_costs(model: PriceModelInput) -> pd.DataFrame:
    """Rule 5: the full cost d_j of each dedicated service, borne by its customer alone.

    ``d_j = fte_j·(std[c] + a) + P·fte_j / Σ_s FTE_s``: the area's cost per FTE with its share
    of internal overhead; the area's other costs stay in its key pools. Sorted by service area
    (model order) and service_id, so every later sum runs in one order. Columns:
    DEDICATED_COLUMNS; empty when the input has no dedicated services.
    """
    services = model.dedicated_services
    if services is None or services.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=_DEDICATED_DTYPES.get(c, object)) for c in DEDICATED_COLUMNS}
        )
    production = model.staffing[model.staffing["service_area"] != INTERNAL_OVERHEAD]
    pool = internal_overhead_pool(
        model.staffing,
        model.cost_standards,
        model.administration_overhead_per_fte,
        model.other_costs,
    )
    table = services.astype({"fte": float})
    per_fte = (
        table["staff_category"].map(model.cost_standards) + model.administration_overhead_per_fte
    )
    table["amount"] = table["fte"] * per_fte + pool * table["fte"] / production["fte"].sum()
    area = pd.Categorical(table["service_area"], categories=model.service_areas["service_area"])
    order = np.lexsort((table["service_id"].to_numpy(dtype=str), area.codes))
    return table.iloc[order][DEDICATED_COLUMNS].reset_index(drop=True)


def dedicated_charges(dedicated: pd.DataFrame | None, area: str) -> pd.Series:
    """Σ d_j per customer_id in ``area`` (rule 6's second term); empty without services."""
    if dedicated is None or dedicated.empty:
        return pd.Series(dtype=float)
    rows = dedicated[dedicated["service_area"] == area]
    return rows.groupby("customer_id")["amount"].sum()


def key_pools(full_cost_table: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Rule 5: pool_k = K_s · w_k, K_s = C_s − Σ d_j (C_s for a table without ``keyed_cost``).

    Columns: service_area, key_id, weight, pool.
    """
    column = "keyed_cost" if "keyed_cost" in full_cost_table else "exact_full_cost"
    cost = full_cost_table.set_index("service_area")[column]
    pools = keys[["service_area", "key_id", "weight"]].copy()
    pools["pool"] = pools["service_area"].map(cost) * pools["weight"]
    return pools


def allocate(pools: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    """Rule 6: each customer's exact share of each key pool.

    One row per (customer, key) with positive volume, in key order then customer_id; that
    canonical order also fixes the order of every float sum, so the result cannot depend on the
    row order of the input. Columns: customer_id, service_area, key_id, volume, share, amount.
    """
    used = volumes[volumes["volume"] > 0]
    key = pd.Categorical(used["key_id"], categories=pools["key_id"]).codes
    customers = pd.Categorical(used["customer_id"])  # categories in string order
    known = key >= 0
    key, customer = key[known], customers.codes[known]
    order = np.lexsort((customer, key))
    key, customer = key[order], customer[order]
    volume = used["volume"].to_numpy(dtype=float)[known][order]
    total = np.bincount(key, weights=volume, minlength=len(pools))
    share = volume / total[key]
    return pd.DataFrame(
        {
            "customer_id": customers.categories.to_numpy()[customer],
            "service_area": pools["service_area"].to_numpy()[key],
            "key_id": pools["key_id"].to_numpy()[key],
            "volume": volume,
            "share": share,
            "amount": pools["pool"].to_numpy(dtype=float)[key] * share,
        }
    )


def _ranks(
    fraction: np.ndarray, group: np.ndarray, tie_rank: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Each cell's place in its group by fractional part, largest first, ties by tie_rank."""
    order = np.lexsort((tie_rank, -fraction, group))
    first_of_group = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(fraction), dtype="int64")
    rank[order] = np.arange(len(fraction)) - first_of_group[group[order]]
    return rank


def _doubtful_groups(
    fraction: np.ndarray,
    bound: np.ndarray,
    group: np.ndarray,
    rank: np.ndarray,
    remainder: np.ndarray,
    counts: np.ndarray,
) -> np.ndarray:
    """Groups where exact arithmetic might decide otherwise than the floats: a floor within
    the error bound, a cut between winners and losers narrower than twice the bound, or a
    remainder that does not fit."""
    n_groups = len(counts)
    doubt = np.zeros(n_groups, dtype=bool)
    near_floor = (fraction < bound) | (fraction > 1 - bound)
    doubt[np.unique(group[near_floor])] = True
    doubt |= (remainder < 0) | (remainder > counts)
    widest = np.zeros(n_groups)
    np.maximum.at(widest, group, bound)
    cut = (remainder > 0) & (remainder < counts)
    last_winner = np.full(n_groups, np.inf)
    first_loser = np.full(n_groups, -np.inf)
    winner = rank == remainder[group] - 1
    loser = rank == remainder[group]
    last_winner[group[winner]] = fraction[winner]
    first_loser[group[loser]] = fraction[loser]
    doubt |= cut & (last_winner - first_loser <= 2 * widest)
    return doubt


def _largest_remainder(
    exact: np.ndarray,
    group: np.ndarray,
    tie_rank: np.ndarray,
    totals: np.ndarray,
    bound: np.ndarray | None = None,
    exact_values=None,
) -> np.ndarray:
    """Rule 7 for many groups at once: whole kronor per group summing to ``totals[group]``.

    Floors first; each group's missing kronor go one each to its largest fractional parts,
    ties to the lower ``tie_rank`` (the position of the customer_id in string order). The
    fractional parts are compared exactly: a group where the floats (error at most ``bound``)
    could decide otherwise is recomputed by ``exact_values(cells) -> (floors, remainders)``
    (remainders as numerators over one common denominator), by default the floats taken as
    exact binary fractions.
    """
    n_groups = len(totals)
    counts = np.bincount(group, minlength=n_groups)
    floors = np.floor(exact)
    fraction = exact - floors
    remainder = np.round(totals - np.bincount(group, weights=floors, minlength=n_groups)).astype(
        "int64"
    )
    rank = _ranks(fraction, group, tie_rank, counts)
    if bound is None:
        bound = np.zeros(len(exact))
    doubt = _doubtful_groups(fraction, bound, group, rank, remainder, counts)
    result = (floors + (rank < remainder[group])).astype("int64")
    if doubt.any():
        cells = np.flatnonzero(doubt[group])
        if exact_values is None:
            exact_floors, numerators = _binary_fractions(exact[cells])
        else:
            exact_floors, numerators = exact_values(cells)
        for g in np.flatnonzero(doubt):
            mine = np.flatnonzero(group[cells] == g)
            kronor = [int(f) for f in exact_floors[mine]]
            extra = int(totals[g]) - sum(kronor)
            if extra < 0 or extra > len(mine):
                raise ArithmeticError(
                    "avrundningen går inte ihop: fler kronor att fördela än kunder"
                )
            ranked = sorted(mine, key=lambda i: (-numerators[i], tie_rank[cells[i]]))
            for i in ranked[:extra]:
                kronor[np.searchsorted(mine, i)] += 1
            result[cells[mine]] = kronor
    return result


def _binary_fractions(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floors and fractional numerators of floats taken as the exact binary fractions they are."""
    fractions = [Fraction(float(v)) for v in values]
    denominator = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    floors = np.array([math.floor(f) for f in fractions], dtype=object)
    numerators = np.array(
        [(f - math.floor(f)) * denominator for f in fractions], dtype=object
    ).astype(object)
    return floors, np.array([int(n) for n in numerators], dtype=object)


def largest_remainder(exact: pd.Series, total: int) -> pd.Series:
    """Rule 7 for one service area: ``exact`` charges by customer_id → whole kronor."""
    tie_rank = pd.Categorical(exact.index).codes
    amounts = _largest_remainder(
        exact.to_numpy(dtype=float),
        np.zeros(len(exact), dtype="int64"),
        tie_rank,
        np.array([total], dtype=float),
    )
    return pd.Series(amounts, index=exact.index)


def price_list(
    allocation: pd.DataFrame,
    full_cost_table: pd.DataFrame,
    dedicated: pd.DataFrame | None = None,
    exact_pools: pd.Series | None = None,
    exact_dedicated: pd.Series | None = None,
) -> pd.DataFrame:
    """Rules 6–7: each customer's yearly charge per service area in whole kronor.

    ``dedicated`` (from :func:`dedicated_costs`) adds each d_j to its customer's exact charge,
    which gives that customer a row even without volume. ``exact_pools`` (Fraction by key_id,
    see ``exact.exact_key_pools``) and ``exact_dedicated`` (Fraction per row of ``dedicated``,
    see ``exact.exact_dedicated_costs``) make the rounding exact over the typed decimals;
    without them the float amounts are taken as exact.
    Columns: customer_id, service_area, amount; sorted by customer_id, service_area.
    """
    areas = full_cost_table["service_area"].to_numpy()
    area = pd.Categorical(allocation["service_area"], categories=areas).codes
    customers = pd.Categorical(allocation["customer_id"])
    weights = allocation["amount"].to_numpy(dtype=float)
    codes = customers.codes
    if dedicated is not None and not dedicated.empty:
        # The few dedicated rows join the codes, not the (large) allocation frame.
        ids = customers.categories.union(pd.Index(dedicated["customer_id"].unique())).sort_values()
        if len(ids) > len(customers.categories):
            customers = pd.Categorical(allocation["customer_id"], categories=ids)
            codes = customers.codes
        extra = pd.Categorical(dedicated["service_area"], categories=areas).codes
        area = np.concatenate([area, extra])
        codes = np.concatenate([codes, pd.Categorical(dedicated["customer_id"], ids).codes])
        weights = np.concatenate([weights, dedicated["amount"].to_numpy(dtype=float)])
    n = len(customers.categories)
    cell = area.astype("int64") * n + codes
    size = len(areas) * n
    exact = np.bincount(cell, weights=weights, minlength=size)
    charged = np.flatnonzero(np.bincount(cell, minlength=size))
    group, customer = charged // n, charged % n
    key_id = allocation["key_id"].to_numpy(dtype=object)
    volume = allocation["volume"].to_numpy(dtype=float)
    amount = allocation["amount"].to_numpy(dtype=object)
    if dedicated is not None and not dedicated.empty:
        # Dedicated rows have no key: their exact amount is d_j itself.
        key_id = np.concatenate([key_id, np.full(len(dedicated), None, dtype=object)])
        volume = np.concatenate([volume, np.zeros(len(dedicated))])
        own = dedicated["amount"] if exact_dedicated is None else exact_dedicated
        amount = np.concatenate([amount, own.to_numpy(dtype=object)])
    # Rounding steps behind each float charge: the rows summed into a cell, and, unless the
    # volumes are whole numbers whose float sums are exact, the rows summed into a key total.
    steps = int(np.bincount(cell).max(initial=0))
    if not (np.array_equal(volume, np.floor(volume)) and volume.sum() < 2.0**53):
        steps *= n
    pools = None if exact_pools is None else exact_pools.to_dict()

    def exact_values(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return exact_cells(cell, charged[cells], key_id, volume, amount, pools)

    amounts = _largest_remainder(
        exact[charged],
        group,
        customer,
        full_cost_table["full_cost"].to_numpy(dtype=float),
        float_bound(exact[charged], steps),
        exact_values,
    )
    table = pd.DataFrame(
        {
            "customer_id": customers.categories.to_numpy()[customer],
            "service_area": areas[group],
            "amount": amounts,
        }
    )
    return table.sort_values(["customer_id", "service_area"], ignore_index=True)


def unit_prices(pools: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Rule 8: what one more unit of a key costs. NaN where a key has no volume (weight 0).

    Columns: service_area, key_id, weight, pool, total_volume, unit_price.
    """
    totals = allocation.groupby("key_id", sort=False)["volume"].sum()
    table = pools.copy()
    table["total_volume"] = table["key_id"].map(totals).fillna(0.0)
    table["unit_price"] = table["pool"] / table["total_volume"].where(table["total_volume"] > 0)
    return table


def hourly_rates(model: PriceModelInput) -> pd.DataFrame:
    """Rule 9: kr per hour for each staff category, for services called off per hour
    (rounded from the exact rate, see ``exact.exact_hourly_rates``)."""
    rates = exact_hourly_rates(model).to_numpy(dtype="int64")
    return pd.DataFrame({"staff_category": model.cost_standards.index, "hourly_rate": rates})


@dataclass(frozen=True)
class Comparison:
    """Rule 10: new charges against last year's."""

    by_customer_area: pd.DataFrame  # customer_id, service_area, previous, new, difference, change
    by_customer: pd.DataFrame  # customer_id, previous, new, difference, change, status
    by_area: pd.DataFrame  # service_area, previous, new, difference, change
    previous_total: float
    new_total: float
    changed_assignments_total: float
    # Customers charged this year but not last year, and last year's customers that are no
    # longer in customers.csv (their previous charges stay in previous_total).
    joined: tuple[str, ...] = ()
    left: tuple[str, ...] = ()

    @property
    def status(self) -> pd.Series:
        """customer_id → ``ny``, ``har lämnat`` or '' (for tables that show customers)."""
        return self.by_customer.set_index("customer_id")["status"]

    @property
    def change_including(self) -> float:
        """Relative change of the total, changed assignments included."""
        return (self.new_total - self.previous_total) / self.previous_total

    @property
    def change_excluding(self) -> float:
        """Relative change of the total without the cost of new or removed base services."""
        return (
            self.new_total - self.changed_assignments_total - self.previous_total
        ) / self.previous_total


def _with_change(table: pd.DataFrame) -> pd.DataFrame:
    table["difference"] = table["new"] - table["previous"]
    table["change"] = table["difference"] / table["previous"].where(table["previous"] > 0)
    return table


CUSTOMER_JOINED = "ny"
CUSTOMER_LEFT = "har lämnat"


def customer_status(
    by_customer: pd.DataFrame, customer_ids: list[str] | None = None
) -> pd.Series:
    """Per row of ``by_customer``: ``ny`` (charged now, not last year), ``har lämnat`` (charged
    last year, not now, and not among ``customer_ids``: this year's customers) or ''."""
    joined = (by_customer["previous"] == 0) & (by_customer["new"] > 0)
    left = (by_customer["previous"] > 0) & (by_customer["new"] == 0)
    if customer_ids is not None:
        left &= ~by_customer["customer_id"].isin(customer_ids)
    status = pd.Series("", index=by_customer.index, dtype=object)
    status[joined] = CUSTOMER_JOINED
    status[left] = CUSTOMER_LEFT
    return status


def compare(
    prices: pd.DataFrame,
    previous: pd.DataFrame,
    changed_assignments: pd.DataFrame | None,
    area_order: list[str] | None = None,
    customer_ids: list[str] | None = None,
) -> Comparison:
    """Rule 10: per customer and service area, per customer, per area and in total.

    ``by_area`` follows ``area_order`` (the model's order); areas not in it come last. A
    customer of last year that is not among ``customer_ids`` (this year's customers.csv) has
    left: it stays in the comparison with 0 kr this year, and its charges in the previous total.
    """
    both = (
        prices.rename(columns={"amount": "new"})
        .merge(
            previous.rename(columns={"amount": "previous"}),
            on=["customer_id", "service_area"],
            how="outer",
        )
        .fillna({"new": 0.0, "previous": 0.0})
    )
    both = both[["customer_id", "service_area", "previous", "new"]].astype(
        {"previous": float, "new": float}
    )
    both = _with_change(both.sort_values(["customer_id", "service_area"], ignore_index=True))
    sums = ["previous", "new"]
    by_customer = _with_change(both.groupby("customer_id", as_index=False)[sums].sum())
    by_customer["status"] = customer_status(by_customer, customer_ids)
    by_area = both.groupby("service_area", sort=False)[sums].sum()
    order = [a for a in area_order or [] if a in by_area.index]
    order += [a for a in by_area.index if a not in order]
    by_area = _with_change(by_area.loc[order].reset_index())
    effect = 0.0 if changed_assignments is None else float(changed_assignments["cost_effect"].sum())
    status = by_customer.set_index("customer_id")["status"]
    return Comparison(
        both,
        by_customer,
        by_area,
        float(both["previous"].sum()),
        float(both["new"].sum()),
        effect,
        joined=tuple(status.index[status == CUSTOMER_JOINED]),
        left=tuple(status.index[status == CUSTOMER_LEFT]),
    )


@dataclass(frozen=True)
class PriceModelResult:
    """Everything the calculation produces for one price-list year."""

    full_cost: pd.DataFrame
    unit_prices: pd.DataFrame
    allocation: pd.DataFrame
    price_list: pd.DataFrame
    hourly_rates: pd.DataFrame
    comparison: Comparison | None
    # DEDICATED_COLUMNS, one row per dedicated service (rule 5); empty without the input file
    dedicated_services: pd.DataFrame | None = None

    @property
    def total_full_cost(self) -> int:
        return int(self.full_cost["full_cost"].sum())


def calculate(model: PriceModelInput) -> PriceModelResult:
    """Run rules 1–10 on a validated input folder."""
    dedicated = dedicated_costs(model)
    exact_costs = exact_full_costs(model)
    costs = full_cost(model, dedicated=dedicated, exact=exact_costs)
    pools = key_pools(costs, model.keys)
    allocation = allocate(pools, model.volumes)
    exact_dedicated = exact_dedicated_costs(model, dedicated)
    prices = price_list(
        allocation,
        costs,
        dedicated,
        exact_key_pools(exact_keyed_costs(exact_costs, dedicated, exact_dedicated), model.keys),
        exact_dedicated,
    )
    comparison = None
    if model.previous_charges is not None:
        comparison = compare(
            prices,
            model.previous_charges,
            model.changed_assignments,
            model.service_areas["service_area"].tolist(),
            model.customers["customer_id"].tolist(),
        )
    return PriceModelResult(
        full_cost=costs,
        unit_prices=unit_prices(pools, allocation),
        allocation=allocation,
        price_list=prices,
        hourly_rates=hourly_rates(model),
        comparison=comparison,
        dedicated_services=None if model.dedicated_services is None else dedicated,
    )
