"""Why a customer's price changed: per service area, the change against last year split into
parts that sum exactly to it.

With last year's data folder beside this year's (``data/2022`` beside ``data/2023``), both
years are calculated and, per key that exists in both years, the customer's exact amount
v·p (volume times unit price) moves from last year's to this year's in two steps:

- **volume effect**: the customer's own volume change at last year's unit price, (v₁ − v₀)·p₀;
- **changed weight in the model**: what the change of the key's weight alone moves at last
  year's cost and volumes, v₁·(w₁ − w₀)·K₀/V₀, where K₀ is the cost the service area's keys
  shared last year and V₀ the key's total volume. Since p₀ = K₀·w₀/V₀ this is
  v₁·p₀·(w₁/w₀ − 1) whenever w₀ > 0, but it needs no division by the weight, so a key whose
  weight goes from 0 to something (or back) is covered too;
- **cost and total volume**: the rest of the unit-price movement, v₁·w₁·(K₁/V₁ − K₀/V₀) – the
  service area's cost and the key's total volume (all customers') at this year's weight.
  Together with the weight part it is v₁·(p₁ − p₀); with only a weight changed it is 0, with
  only the cost changed the weight part is 0;
- **new or removed keys**: the exact amounts of keys that exist in only one of the years;
- **dedicated base services**: the change of the customer's own dedicated services (rule 5:
  base services one customer alone uses and bears in full), new, removed or re-sized;
- **rounding and last year's invoice**: what is left between the exact amounts and the whole
  kronor invoiced – this year's largest-remainder rounding and any difference between last
  year's invoice (``previous_charges``) and last year's model.

The six parts sum exactly to the change of the invoiced amount.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .calculation import PriceModelResult, calculate, dedicated_charges, largest_remainder
from .inputs import PriceModelInput, load_input
from .sensitivity import keyed_cost
from .trends import find_years

PARTS = {
    "volume": "Egen volym",
    "weight": "Ändrad vikt i modellen",
    "unit_price": "Kostnad och total volym",
    "keys": "Nya eller borttagna nycklar",
    "dedicated": "Egna bastjänster",
    "rounding": "Avrundning och förra årets faktura",
}


def previous_year(model: PriceModelInput) -> tuple[PriceModelInput, PriceModelResult] | None:
    """Last year's model and result from the folder beside this one, or None if there is
    none (or it does not load)."""
    for year, folder in find_years(model.data_dir):
        if year == model.price_list_year - 1:
            previous = load_input(folder)
            return previous, calculate(previous)
    return None


def _exact(result: PriceModelResult) -> pd.DataFrame:
    """Every customer's exact amount per (customer_id, service_area, key_id), with volume, unit
    price, the key's weight and ``per_weight`` = K/V, the price per unit the key would have at
    weight 1 (0 for a key without volume)."""
    table = result.allocation.groupby(["customer_id", "service_area", "key_id"])[
        ["volume", "amount"]
    ].sum()
    keys = result.unit_prices.set_index(["service_area", "key_id"]).reindex(
        table.index.droplevel("customer_id")
    )
    table["unit_price"] = keys["unit_price"].fillna(0.0).to_numpy()
    table["weight"] = keys["weight"].fillna(0.0).to_numpy()
    areas = keys.index.get_level_values("service_area")
    cost = pd.Series(areas, index=keys.index).map(
        {a: keyed_cost(result, a) for a in areas.unique()}
    )
    volume = keys["total_volume"].fillna(0.0)
    table["per_weight"] = (cost / volume.where(volume > 0)).fillna(0.0).to_numpy()
    return table


def change_parts(
    model: PriceModelInput,
    result: PriceModelResult,
    previous: tuple[PriceModelInput, PriceModelResult],
    customer: str,
) -> pd.DataFrame:
    """One row per service area the customer pays for this year or paid for last year (model
    order): previous and new invoiced kronor, difference, and the parts of :data:`PARTS`,
    which sum exactly to the difference. Needs ``result.comparison`` (last year's invoice)."""
    return all_change_parts(model, result, previous, [customer])[customer]


def all_change_parts(
    model: PriceModelInput,
    result: PriceModelResult,
    previous: tuple[PriceModelInput, PriceModelResult],
    customers: Iterable[str],
) -> dict[str, pd.DataFrame]:
    """:func:`change_parts` of each of ``customers``, computed for all of them at once (a
    price sheet per customer asks for each)."""
    if result.comparison is None:
        raise ValueError("underlaget har inga debiteringar från föregående år")
    _, last = previous
    now, before = _exact(result), _exact(last)
    keys = now.index.union(before.index)
    now, before = now.reindex(keys), before.reindex(keys)
    shared = now["amount"].notna() & before["amount"].notna()
    now, before = now.fillna(0.0), before.fillna(0.0)
    parts = pd.DataFrame(index=keys)
    parts["volume"] = ((now["volume"] - before["volume"]) * before["unit_price"]).where(shared, 0)
    price = now["volume"] * (now["unit_price"] - before["unit_price"])
    weight = now["volume"] * (now["weight"] - before["weight"]) * before["per_weight"]
    parts["weight"] = weight.where(shared, 0.0)
    # the rest of the unit-price movement, so that the two add up to v1·(p1 − p0) exactly
    parts["unit_price"] = (price - weight).where(shared, 0.0)
    parts["keys"] = (now["amount"] - before["amount"]).where(~shared, 0.0)
    per_area = ["customer_id", "service_area"]
    exact = parts.groupby(level=per_area).sum()
    exact_new = now["amount"].groupby(level=per_area).sum()
    exact_old = before["amount"].groupby(level=per_area).sum()
    invoiced = result.comparison.by_customer_area.set_index(per_area)
    all_areas = list(model.service_areas["service_area"])
    own_new = {a: dedicated_charges(result.dedicated_services, a) for a in all_areas}
    own_old = {a: dedicated_charges(last.dedicated_services, a) for a in all_areas}
    return {
        customer: _customer_parts(
            all_areas, *(_of(f, customer) for f in (invoiced, exact, exact_new, exact_old)),
            *(_dedicated(own, customer) for own in (own_new, own_old)),
        )
        for customer in customers
    }


def _dedicated(charges: dict[str, pd.Series], customer: str) -> pd.Series:
    """The customer's exact dedicated-service amount per service area (0 without any), from
    :func:`calculation.dedicated_charges` of each area."""
    return pd.Series({area: float(per_customer.get(customer, 0.0))
                      for area, per_customer in charges.items()}, dtype=float)


def _of(frame: pd.DataFrame | pd.Series, customer: str) -> pd.DataFrame | pd.Series:
    """The customer's rows of a frame indexed by (customer_id, service_area), by area."""
    if customer in frame.index.get_level_values("customer_id"):
        return frame.xs(customer, level="customer_id")
    return frame.iloc[:0].droplevel("customer_id")


def _customer_parts(
    all_areas: list[str],
    invoiced: pd.DataFrame,
    exact: pd.DataFrame,
    exact_new: pd.Series,
    exact_old: pd.Series,
    own_new: pd.Series,
    own_old: pd.Series,
) -> pd.DataFrame:
    """One customer's table of :func:`change_parts` from its rows per service area."""
    areas = [a for a in all_areas if a in invoiced.index or a in exact.index]
    own_new, own_old = (own.reindex(areas).to_numpy() for own in (own_new, own_old))
    table = pd.DataFrame({"service_area": areas})
    table["previous"] = table["service_area"].map(invoiced["previous"]).fillna(0.0)
    table["new"] = table["service_area"].map(invoiced["new"]).fillna(0.0)
    table["difference"] = table["new"] - table["previous"]
    for part in ("volume", "weight", "unit_price", "keys"):
        table[part] = table["service_area"].map(exact[part]).fillna(0.0)
    # the customer's own dedicated services (rule 5), exact, per area
    table["dedicated"] = own_new - own_old
    # what the exact amounts do not explain: rounding now, last year's invoice against its model
    table["rounding"] = table["difference"] - table[
        ["volume", "weight", "unit_price", "keys", "dedicated"]
    ].sum(axis=1)
    table["exact_new"] = table["service_area"].map(exact_new).fillna(0.0) + own_new
    table["exact_previous"] = table["service_area"].map(exact_old).fillna(0.0) + own_old
    return table


def in_whole_kronor(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`change_parts` with the parts in whole kronor that still sum exactly to each row's
    (whole-krona) difference, rounded by largest remainder like the price list: each part
    moves by less than a krona, and a column of parts shown as 0 kr cannot add up to −1 kr."""
    rounded = table.copy()
    columns = list(PARTS)
    for row in table.index:
        exact = pd.Series(table.loc[row, columns].to_numpy(dtype=float), index=columns)
        whole = largest_remainder(exact, round(float(table.at[row, "difference"])))
        rounded.loc[row, columns] = whole.to_numpy(dtype=float)
    return rounded
