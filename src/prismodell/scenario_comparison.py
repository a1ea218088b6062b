"""A what-if scenario's price list against the base year's, in numbers.

:func:`compare_results` separates the real cost change (the difference of full cost) from the
redistribution between customers (what moves when the full cost stays the same);
:func:`run_scenario` loads, applies, calculates and compares one scenario of a data folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .calculation import PriceModelResult, calculate
from .inputs import PriceModelInput, load_input
from .report_tables import area_names, customer_names, relative_change
from .scenario_file import Scenario, apply_scenario, load_scenario
from .scenario_views import scenario_changes

# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class ScenarioComparison:
    """The scenario's price list against the base year's.

    ``by_customer_area``: customer_id, name, service_area, area, base, scenario, difference,
    change (fraction of base; NaN where base is 0) and redistribution (the part of the
    difference that is not the area's cost change spread by the base shares); sorted by the
    largest absolute difference. ``by_customer``: the same per customer over all areas, sorted
    likewise. ``by_area``: service_area, area, base and scenario (the sums of the price list,
    equal to each one's full cost), cost_change, change and redistribution (Σ|redistribution|
    of its customers: Σ|difference| where the full cost is unchanged), in model order.
    """

    by_customer_area: pd.DataFrame
    by_customer: pd.DataFrame
    by_area: pd.DataFrame

    @property
    def base_total(self) -> float:
        return float(self.by_area["base"].sum())

    @property
    def scenario_total(self) -> float:
        return float(self.by_area["scenario"].sum())

    @property
    def cost_change(self) -> float:
        """The real cost change: scenario full cost minus base full cost, all areas."""
        return self.scenario_total - self.base_total

    @property
    def redistribution(self) -> float:
        """Kronor moved between customers within the service areas (Σ over areas)."""
        return float(self.by_area["redistribution"].sum())


def _sorted_by_change(frame: pd.DataFrame, ties: list[str]) -> pd.DataFrame:
    order = frame.assign(_size=frame["difference"].abs())
    order = order.sort_values(
        ["_size", *ties], ascending=[False] + [True] * len(ties), kind="stable"
    )
    return order.drop(columns="_size").reset_index(drop=True)


def compare_results(
    base_model: PriceModelInput,
    base: PriceModelResult,
    scen_model: PriceModelInput,
    scen: PriceModelResult,
) -> ScenarioComparison:
    """Per customer and service area: base kr, scenario kr, difference kr and %.

    The totals per service area are the sums of the price lists, so they equal each one's full
    cost. The difference of a customer splits into the area's cost change shared by the base
    charges (``base · (F'/F − 1)``) and a redistribution between customers, which sums to 0.
    """
    names = customer_names(base_model)
    areas = area_names(base_model)
    both = (
        base.price_list.rename(columns={"amount": "base"})
        .merge(
            scen.price_list.rename(columns={"amount": "scenario"}),
            on=["customer_id", "service_area"],
            how="outer",
        )
        .fillna({"base": 0, "scenario": 0})
        .astype({"base": float, "scenario": float})
    )
    both["difference"] = both["scenario"] - both["base"]
    both["change"] = relative_change(both["scenario"], both["base"])

    order = list(base_model.service_areas["service_area"])
    by_area = both.groupby("service_area")[["base", "scenario"]].sum().reindex(order, fill_value=0)
    by_area = by_area.rename_axis("service_area").reset_index()
    growth = (by_area["scenario"] / by_area["base"].where(by_area["base"] > 0)).fillna(1.0) - 1.0
    both["redistribution"] = both["difference"] - both["base"] * both["service_area"].map(
        dict(zip(by_area["service_area"], growth, strict=True))
    )
    by_area.insert(1, "area", by_area["service_area"].map(areas))
    by_area["cost_change"] = by_area["scenario"] - by_area["base"]
    by_area["change"] = relative_change(by_area["scenario"], by_area["base"])
    moved = both["redistribution"].abs().groupby(both["service_area"]).sum()
    by_area["redistribution"] = by_area["service_area"].map(moved).fillna(0.0).round(6)

    both.insert(1, "name", both["customer_id"].map(names).fillna(both["customer_id"]))
    both.insert(3, "area", both["service_area"].map(areas))
    by_customer_area = _sorted_by_change(both, ["customer_id", "service_area"])

    per_customer = both.groupby(["customer_id", "name"], as_index=False)[
        ["base", "scenario", "difference"]
    ].sum()
    per_customer["change"] = relative_change(per_customer["scenario"], per_customer["base"])
    by_customer = _sorted_by_change(per_customer, ["customer_id"])
    return ScenarioComparison(by_customer_area, by_customer, by_area)


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario calculated next to its base year: what the CLI and the book show."""

    scenario: Scenario
    base_model: PriceModelInput
    base: PriceModelResult
    model: PriceModelInput
    result: PriceModelResult
    comparison: ScenarioComparison
    changes: pd.DataFrame  # scenario_changes

    @property
    def name(self) -> str:
        return self.scenario.name


def run_scenario(
    data_dir: Path | str, name: str, base_model: PriceModelInput | None = None
) -> ScenarioRun:
    """Load the base year and the scenario, calculate both and compare them."""
    base_model = base_model if base_model is not None else load_input(data_dir)
    scenario = load_scenario(data_dir, name, base_model)
    model = apply_scenario(base_model, scenario)
    base, result = calculate(base_model), calculate(model)
    return ScenarioRun(
        scenario,
        base_model,
        base,
        model,
        result,
        compare_results(base_model, base, model, result),
        scenario_changes(base_model, scenario),
    )
