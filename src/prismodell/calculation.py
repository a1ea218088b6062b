"""The price model's calculation: full cost, key pools, allocation, price list, unit prices,
hourly rates and the old/new comparison (rules 1–10 of the spec).

Every function is pure: DataFrames in, DataFrames out. Amounts are float kronor; the price list
is whole kronor that sum exactly to the published full cost of each service area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import INTERNAL_OVERHEAD, PriceModelInput

# Fractional kronor are compared at micro-krona precision, so that float noise (1e-10) cannot
# decide a tie that exact arithmetic would give to the smaller customer_id (rule 7).
_PRECISION = 6

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


def full_cost(model: PriceModelInput) -> pd.DataFrame:
    """Rules 1–4: full cost per service area and its build-up, in model order.

    Columns: service_area, fte, personnel, administration_overhead, internal_overhead,
    other_costs, exact_full_cost (C_s) and full_cost (F_s, whole kronor).
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
    table["full_cost"] = round_half_up(table["exact_full_cost"]).astype("int64")
    return table


def key_pools(full_cost_table: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Rule 5: pool_k = C_s · w_k. Columns: service_area, key_id, weight, pool."""
    cost = full_cost_table.set_index("service_area")["exact_full_cost"]
    pools = keys[["service_area", "key_id", "weight"]].copy()
    pools["pool"] = pools["service_area"].map(cost) * pools["weight"]
    return pools


def allocate(pools: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    """Rule 6: each customer's exact share of each key pool.

    One row per (customer, key) with positive volume, in key order then customer_id.
    Columns: customer_id, service_area, key_id, volume, share, amount.
    """
    used = volumes.loc[volumes["volume"] > 0, ["customer_id", "key_id", "volume"]]
    rows = used.merge(pools, on="key_id", how="inner", validate="many_to_one")
    rows["key_order"] = rows["key_id"].map(pd.Series(range(len(pools)), index=pools["key_id"]))
    rows = rows.sort_values(["key_order", "customer_id"], kind="stable", ignore_index=True)
    total = rows.groupby("key_id")["volume"].transform("sum")
    rows["share"] = rows["volume"] / total
    rows["amount"] = rows["pool"] * rows["share"]
    return rows[["customer_id", "service_area", "key_id", "volume", "share", "amount"]]


def largest_remainder(exact: pd.Series, total: int) -> pd.Series:
    """Rule 7 for one service area: whole kronor summing to ``total``.

    ``exact`` is indexed by customer_id. Floors first; the R missing kronor go one each to the
    largest fractional parts, ties to the smaller customer_id.
    """
    exact = exact.round(_PRECISION)
    floors = np.floor(exact)
    fraction = (exact - floors).round(_PRECISION)
    remainder = int(total - floors.sum())
    if not 0 <= remainder <= len(exact):
        raise ArithmeticError(f"kan inte avrunda: {remainder} kronor att fördela på {len(exact)}")
    order = pd.DataFrame({"fraction": fraction.to_numpy(), "customer_id": exact.index})
    order = order.sort_values(["fraction", "customer_id"], ascending=[False, True], kind="stable")
    extra = np.zeros(len(exact), dtype="int64")
    extra[order.index[:remainder]] = 1
    return (floors + extra).astype("int64")


def price_list(allocation: pd.DataFrame, full_cost_table: pd.DataFrame) -> pd.DataFrame:
    """Rule 7: each customer's yearly charge per service area in whole kronor.

    Columns: customer_id, service_area, amount; sorted by customer_id, service_area.
    """
    exact = allocation.groupby(["service_area", "customer_id"])["amount"].sum()
    published = full_cost_table.set_index("service_area")["full_cost"]
    parts = []
    for area, charges in exact.groupby(level="service_area", sort=False):
        amounts = largest_remainder(charges.droplevel("service_area"), int(published[area]))
        parts.append(
            pd.DataFrame(
                {"customer_id": amounts.index, "service_area": area, "amount": amounts.to_numpy()}
            )
        )
    if not parts:
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype=str),
                "service_area": pd.Series(dtype=str),
                "amount": pd.Series(dtype="int64"),
            }
        )
    return pd.concat(parts, ignore_index=True).sort_values(
        ["customer_id", "service_area"], ignore_index=True
    )


def unit_prices(pools: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    """Rule 8: what one more unit of a key costs. NaN where a key has no volume (weight 0).

    Columns: service_area, key_id, weight, pool, total_volume, unit_price.
    """
    totals = volumes.groupby("key_id")["volume"].sum()
    table = pools.copy()
    table["total_volume"] = table["key_id"].map(totals).fillna(0.0)
    table["unit_price"] = table["pool"] / table["total_volume"].where(table["total_volume"] > 0)
    return table


def hourly_rates(model: PriceModelInput) -> pd.DataFrame:
    """Rule 9: kr per hour for each staff category, for services called off per hour."""
    production = model.staffing[model.staffing["service_area"] != INTERNAL_OVERHEAD]
    pool = internal_overhead_pool(
        model.staffing,
        model.cost_standards,
        model.administration_overhead_per_fte,
        model.other_costs,
    )
    overhead_per_fte = pool / production["fte"].sum()
    per_year = model.cost_standards + model.administration_overhead_per_fte + overhead_per_fte
    rates = round_half_up(per_year / model.productive_hours_per_fte).astype("int64")
    return pd.DataFrame(
        {"staff_category": model.cost_standards.index, "hourly_rate": rates.to_numpy()}
    )


@dataclass(frozen=True)
class Comparison:
    """Rule 10: new charges against last year's."""

    by_customer_area: pd.DataFrame  # customer_id, service_area, previous, new, difference, change
    by_customer: pd.DataFrame  # customer_id, previous, new, difference, change
    by_area: pd.DataFrame  # service_area, previous, new, difference, change
    previous_total: float
    new_total: float
    changed_assignments_total: float

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


def compare(
    prices: pd.DataFrame, previous: pd.DataFrame, changed_assignments: pd.DataFrame | None
) -> Comparison:
    """Rule 10: per customer and service area, per customer, per area and in total."""
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
    by_area = _with_change(both.groupby("service_area", as_index=False, sort=False)[sums].sum())
    effect = 0.0 if changed_assignments is None else float(changed_assignments["cost_effect"].sum())
    return Comparison(
        both, by_customer, by_area, float(both["previous"].sum()), float(both["new"].sum()), effect
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

    @property
    def total_full_cost(self) -> int:
        return int(self.full_cost["full_cost"].sum())


def calculate(model: PriceModelInput) -> PriceModelResult:
    """Run rules 1–10 on a validated input folder."""
    # Canonical order first, so that the result cannot depend on the row order of the files.
    volumes = model.volumes.sort_values(["key_id", "customer_id"], ignore_index=True)
    costs = full_cost(model)
    pools = key_pools(costs, model.keys)
    allocation = allocate(pools, volumes)
    prices = price_list(allocation, costs)
    comparison = None
    if model.previous_charges is not None:
        comparison = compare(prices, model.previous_charges, model.changed_assignments)
    return PriceModelResult(
        full_cost=costs,
        unit_prices=unit_prices(pools, volumes),
        allocation=allocation,
        price_list=prices,
        hourly_rates=hourly_rates(model),
        comparison=comparison,
    )
