"""Behaviour and price: what happens when one customer uses less of one key.

A customer that reduces its volume of key k by a share x (say 20 % fewer reminders) saves
``x · v_ik`` units. The effect on the charges differs with the time horizon:

- **Short run** (this year's price list): the service area's cost is fixed, so the key's pool is
  unchanged and only spread over fewer units. The customer pays less, every other customer with
  volume on the key pays a little more, and the total is still the full cost.
- **Long run** (when the service area's cost follows the work): the key's pool shrinks by the
  saved units times the key's unit price (rule 8), ``pool_k' = pool_k − x · v_ik · pool_k / V_k``,
  and the other pools stay as they are. The unit price is then unchanged, the customer saves
  exactly the saved units times the unit price and the others pay what they paid before.

All amounts are exact kronor before the rounding to whole kronor (rule 7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calculation import PriceModelResult, allocate, dedicated_charges, key_pools
from .inputs import PriceModelInput
from .sensitivity import area_keys

REDUCTION = 0.2

EFFECT_COLUMNS = [
    "customer_id",
    "name",
    "actor",
    "volume",
    "new_volume",
    "base",
    "short_run",
    "short_change",
    "long_run",
    "long_change",
]




def unit_savings(
    model: PriceModelInput, result: PriceModelResult, area: str | None = None
) -> pd.DataFrame:
    """Per key with volume: the saving per unit a customer can act on, i.e. the unit price.

    Columns: service_area, key_id, name, weight, pool, total_volume, unit_price. In model order;
    for one service area or all.
    """
    table = result.unit_prices.merge(model.keys[["key_id", "name"]], on="key_id", how="left")
    table = table[table["total_volume"] > 0]
    if area is not None:
        table = table[table["service_area"] == area]
    columns = ["service_area", "key_id", "name", "weight", "pool", "total_volume", "unit_price"]
    return table[columns].reset_index(drop=True)


def example_key(model: PriceModelInput, result: PriceModelResult, area: str) -> str:
    """The key of the worked example: the one with the highest unit price (ties: model order),
    where one unit saved matters most to the customer."""
    savings = unit_savings(model, result, area)
    if savings.empty:
        raise ValueError(f"tjänsteområdet {area!r} har ingen nyckel med volym")
    return str(savings.loc[savings["unit_price"].idxmax(), "key_id"])


def example_customer(model: PriceModelInput, key: str) -> str:
    """The customer with the largest volume on ``key`` (ties: the smaller customer_id)."""
    rows = model.volumes[(model.volumes["key_id"] == key) & (model.volumes["volume"] > 0)]
    if rows.empty:
        raise ValueError(f"nyckeln {key!r} har ingen volym hos någon kund")
    rows = rows.sort_values(["volume", "customer_id"], ascending=[False, True], kind="stable")
    return str(rows.iloc[0]["customer_id"])


def _charges(allocation: pd.DataFrame) -> pd.Series:
    return allocation.groupby("customer_id")["amount"].sum()


def behaviour_effects(
    model: PriceModelInput,
    result: PriceModelResult,
    area: str,
    key: str,
    customer: str,
    reduction: float = REDUCTION,
) -> pd.DataFrame:
    """Every customer's exact charge for ``area`` before and after ``customer`` reduces its
    volume of ``key`` by ``reduction`` (a share, 0.2 = 20 %), in the short and the long run.

    One row per customer with a charge for the area (before or after), in customer_id order.
    Columns: customer_id, name, actor (the customer that changes), volume and new_volume (of
    ``key``), base, short_run, short_change, long_run, long_change (kronor).
    """
    keys = area_keys(model, area)
    if key not in set(keys["key_id"]):
        raise ValueError(
            f"nyckeln {key!r} hör inte till {area!r}. Nycklar: {', '.join(keys['key_id'])}"
        )
    if not 0 < reduction <= 1:
        raise ValueError(f"minskningen ska vara en andel mellan 0 och 1, inte {reduction!r}")
    volumes = model.volumes[model.volumes["key_id"].isin(keys["key_id"])].copy()
    on_key = volumes["key_id"] == key
    acting = on_key & (volumes["customer_id"] == customer)
    if not (volumes.loc[acting, "volume"] > 0).any():
        raise ValueError(f"kunden {customer!r} har ingen volym av nyckeln {key!r}")
    before = volumes["volume"].copy()
    volumes.loc[acting, "volume"] = before[acting] * (1 - reduction)
    if not volumes.loc[on_key, "volume"].sum() > 0:
        raise ValueError(f"nyckeln {key!r} får ingen volym kvar; minskningen går inte att fördela")
    saved = float((before[acting] - volumes.loc[acting, "volume"]).sum())

    costs = result.full_cost[result.full_cost["service_area"] == area]
    pools = key_pools(costs, keys)
    original = volumes.assign(volume=before)
    # A dedicated service's cost (rule 5) is part of its customer's charge and never moves.
    own = dedicated_charges(result.dedicated_services, area)
    base = _charges(allocate(pools, original)).add(own, fill_value=0.0)
    short = _charges(allocate(pools, volumes)).add(own, fill_value=0.0)
    total_before = float(before[on_key].sum())
    position = pools.index[pools["key_id"] == key][0]
    unit_price = float(pools.at[position, "pool"]) / total_before
    long_pools = pools.copy()
    long_pools.at[position, "pool"] = pools.at[position, "pool"] - saved * unit_price
    long = _charges(allocate(long_pools, volumes)).add(own, fill_value=0.0)

    customers = sorted(set(base.index) | set(short.index))
    names = model.customers.set_index("customer_id")["name"]
    table = pd.DataFrame({"customer_id": customers})
    table["name"] = table["customer_id"].map(names).fillna(table["customer_id"])
    table["actor"] = table["customer_id"] == customer
    key_volume = original[on_key].set_index("customer_id")["volume"]
    new_volume = volumes[on_key].set_index("customer_id")["volume"]
    table["volume"] = table["customer_id"].map(key_volume).fillna(0.0)
    table["new_volume"] = table["customer_id"].map(new_volume).fillna(0.0)
    for column, charges in (("base", base), ("short_run", short), ("long_run", long)):
        table[column] = table["customer_id"].map(charges).fillna(0.0)
    table["short_change"] = table["short_run"] - table["base"]
    table["long_change"] = table["long_run"] - table["base"]
    return table[EFFECT_COLUMNS]


def behaviour_example(
    model: PriceModelInput,
    result: PriceModelResult,
    area: str,
    key: str | None = None,
    customer: str | None = None,
    reduction: float = REDUCTION,
) -> pd.DataFrame:
    """:func:`behaviour_effects` with defaults: the key with the highest unit price
    (:func:`example_key`) and the customer with the largest volume on it."""
    key = key or example_key(model, result, area)
    customer = customer or example_customer(model, key)
    return behaviour_effects(model, result, area, key, customer, reduction)


def behaviour_summary(effects: pd.DataFrame) -> pd.Series:
    """The worked example in numbers, from :func:`behaviour_effects`.

    customer_id, name, volume, new_volume, saved_units, unit_price (the long-run saving per
    unit), own_base, own_short, own_short_change, own_long, own_long_change, others (count),
    others_paying_more (short run), others_short_change, others_long_change, largest_increase
    (of one other customer, short run), total_base, total_short, total_long, long_run_saving.
    """
    own = effects[effects["actor"]].iloc[0]
    others = effects[~effects["actor"]]
    saved = float(own["volume"] - own["new_volume"])
    long_run_saving = float(effects["base"].sum() - effects["long_run"].sum())
    return pd.Series(
        {
            "customer_id": own["customer_id"],
            "name": own["name"],
            "volume": float(own["volume"]),
            "new_volume": float(own["new_volume"]),
            "saved_units": saved,
            "unit_price": long_run_saving / saved if saved else np.nan,
            "own_base": float(own["base"]),
            "own_short": float(own["short_run"]),
            "own_short_change": float(own["short_change"]),
            "own_long": float(own["long_run"]),
            "own_long_change": float(own["long_change"]),
            "others": len(others),
            "others_paying_more": int((others["short_change"] > 1e-6).sum()),
            "others_short_change": float(others["short_change"].sum()),
            "others_long_change": float(others["long_change"].sum()),
            "largest_increase": float(others["short_change"].max()) if len(others) else 0.0,
            "total_base": float(effects["base"].sum()),
            "total_short": float(effects["short_run"].sum()),
            "total_long": float(effects["long_run"].sum()),
            "long_run_saving": long_run_saving,
        }
    )


OVERVIEW_COLUMNS = ["label", "base", "short_run", "short_change", "long_run", "long_change"]


def effects_overview(effects: pd.DataFrame, others_label: str = "Övriga kunder") -> pd.DataFrame:
    """Three rows for the chapter's table and chart: the customer that changes, the other
    customers together (``others_label`` with their count) and the total."""
    own = effects[effects["actor"]]
    others = effects[~effects["actor"]]
    sums = ["base", "short_run", "short_change", "long_run", "long_change"]
    rows = [
        {"label": own.iloc[0]["name"], **own[sums].sum().to_dict()},
        {"label": f"{others_label} ({len(others)})", **others[sums].sum().to_dict()},
        {"label": "Totalt", **effects[sums].sum().to_dict()},
    ]
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)


# --------------------------------------------------------------------------- report text


def example_markdown(
    model: PriceModelInput,
    result: PriceModelResult,
    area: str,
    key: str,
    effects: pd.DataFrame,
    reduction: float = REDUCTION,
) -> str:
    """One service area's worked example in words (Markdown, data escaped): heading, the
    customer and key, the short run and the long run."""
    from .report_tables import area_names, key_names, number_word
    from .style import format_kr, format_number, format_percent, md_escape

    s = behaviour_summary(effects)
    key_name = key_names(model)[key]
    cost = float(result.full_cost.set_index("service_area").at[area, "exact_full_cost"])
    total_volume = float(result.unit_prices.set_index("key_id").at[key, "total_volume"])
    whole = float(s["saved_units"]).is_integer() and float(s["new_volume"]).is_integer()
    decimals = 0 if whole else 1
    paying = int(s["others_paying_more"])
    if paying == 1:
        others = (
            "medan den enda andra kunden med volym av nyckeln betalar "
            f"{format_kr(s['others_short_change'])} mer"
        )
    elif paying > 1:
        others = (
            f"medan de {number_word(paying)} andra kunderna med volym av nyckeln tillsammans "
            f"betalar {format_kr(s['others_short_change'])} mer (som mest "
            f"{format_kr(s['largest_increase'])} för en enskild kund)"
        )
    else:
        others = "och ingen annan kund har volym av nyckeln"
    text = [
        f"Nyckeln med högst pris per enhet är {key_name}, "
        f"{format_kr(s['unit_price'], 2)} per enhet. Störst volym av den har {s['name']}: "
        f"{format_number(s['volume'])} av {format_number(total_volume)} enheter "
        f"({format_percent(s['volume'] / total_volume)}). Exemplet antar att kunden minskar "
        f"volymen med {format_percent(reduction, 0)}, till "
        f"{format_number(s['new_volume'], decimals)}, "
        f"det vill säga {format_number(s['saved_units'], decimals)} enheter färre.",
        f"På kort sikt är tjänsteområdets kostnad densamma, {format_kr(cost)}, och nyckelns "
        f"del fördelas på färre enheter. Priset för {s['name']} sjunker från "
        f"{format_kr(s['own_base'])} till {format_kr(s['own_short'])} "
        f"({format_kr(s['own_short_change'])}), {others}. Summan för tjänsteområdet är "
        "oförändrad.",
        f"På lång sikt minskar kostnaden med de sparade enheterna gånger priset per enhet, "
        f"{format_number(s['saved_units'], decimals)} × {format_kr(s['unit_price'], 2)} = "
        f"{format_kr(s['long_run_saving'])}. Då sjunker priset för {s['name']} till "
        f"{format_kr(s['own_long'])} ({format_kr(s['own_long_change'])}), och de andra "
        "kunderna betalar lika mycket som före förändringen.",
    ]
    heading = f"## {md_escape(area_names(model)[area])}"
    return heading + "\n\n" + "\n\n".join(md_escape(t) for t in text) + "\n"


SAVING_STEPS = (0.1, 0.2)


def customer_savings(
    model: PriceModelInput,
    result: PriceModelResult,
    customer: str,
    reductions: tuple[float, ...] = SAVING_STEPS,
) -> pd.DataFrame:
    """What one customer saves by using fewer units of each of its own keys, the key with the
    highest unit price first: for every share x in ``reductions`` the short-run and long-run
    saving in exact kronor (positive = pays less), as :func:`behaviour_effects` would give for
    that key alone, in closed form (only that key's pool moves, so no reallocation is needed).

    Short run: the pool P of the key is fixed and spread over fewer units, the customer pays
    P·(1−x)v/(V−xv) instead of P·v/V. Long run: the pool shrinks by the saved units times the
    unit price, the customer saves x·v·P/V.

    Columns: service_area, key_id, name, volume, unit_price, then short_<pct> and long_<pct>
    per reduction (e.g. short_10, long_10). Keys without weight or volume are left out.
    """
    prices = unit_savings(model, result)
    prices = prices[prices["weight"] > 0]
    own = model.volumes[model.volumes["customer_id"] == customer].groupby("key_id")["volume"].sum()
    table = prices.assign(volume=prices["key_id"].map(own).fillna(0.0))
    table = table[table["volume"] > 0]
    pool, total, volume = table["pool"], table["total_volume"], table["volume"]
    for x in reductions:
        pct = round(x * 100)
        remaining = (total - x * volume).where(total - x * volume > 0)
        table[f"short_{pct}"] = pool * volume / total - pool * (1 - x) * volume / remaining
        table[f"long_{pct}"] = x * volume * pool / total
    table = table.sort_values("unit_price", ascending=False, kind="stable")
    columns = ["service_area", "key_id", "name", "volume", "unit_price"]
    columns += [f"{h}_{round(x * 100)}" for x in reductions for h in ("short", "long")]
    return table[columns].reset_index(drop=True)
