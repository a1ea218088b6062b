"""Exact arithmetic for the steps where a float cannot guarantee the krona (rules 4 and 7).

The calculation runs in floats (fast, vectorised). Two steps decide whole kronor and are done
exactly, in rationals over the decimals the analyst typed:

* the full cost ``F_s = ⌊C_s + ½⌋`` (a handful of service areas: plain ``Fraction``);
* the largest remainders of rule 7. Here the float result is kept wherever a rigorous error
  bound shows that exact arithmetic would decide the same (almost every service area of real
  data); a service area where a floor or the cut between the customers who get an extra krona
  and those who do not lies within that bound is recomputed exactly, vectorised over its rows
  with integer numerators over one common denominator.

So the price list is exact for any amount (10^12 kr and beyond), near-ties are decided by the
exact values and only an exact tie by customer_id, and real data stays as fast as floats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

from .inputs import INTERNAL_OVERHEAD, PriceModelInput

HALF = Fraction(1, 2)
_UNIT = 2.0**-52  # the relative rounding error of one float operation, with a margin of 2


def q(value: float) -> Fraction:
    """The decimal an analyst typed, exactly: the shortest decimal that reads as ``value``."""
    return Fraction(repr(float(value)))


def round_half_up_exact(value: Fraction) -> int:
    """Whole kronor, halves up (the model's amounts are non-negative)."""
    return math.floor(value + HALF)


def _exact_parts(
    model: PriceModelInput,
) -> tuple[Fraction, dict[str, Fraction], dict[str, Fraction]]:
    """The internal-overhead pool P, and per service area its FTE and direct cost
    (personnel + administration overhead + other costs), exactly."""
    a = q(model.administration_overhead_per_fte)
    standards = {str(c): q(v) for c, v in model.cost_standards.items()}
    fte: dict[str, Fraction] = {}
    direct: dict[str, Fraction] = {}
    pool = Fraction(0)
    staffing = model.staffing[["service_area", "staff_category", "fte"]]
    for area, category, value in staffing.itertuples(index=False):
        cost = q(value) * (standards[category] + a)
        if area == INTERNAL_OVERHEAD:
            pool += cost
            continue
        fte[area] = fte.get(area, Fraction(0)) + q(value)
        direct[area] = direct.get(area, Fraction(0)) + cost
    for area, amount in model.other_costs[["service_area", "amount"]].itertuples(index=False):
        if area == INTERNAL_OVERHEAD:
            pool += q(amount)
        else:
            direct[area] = direct.get(area, Fraction(0)) + q(amount)
    return pool, fte, direct


def exact_full_costs(model: PriceModelInput) -> pd.Series:
    """C_s of rules 1–4 as exact fractions, by service_area in model order."""
    pool, fte, direct = _exact_parts(model)
    areas = model.service_areas["service_area"].tolist()
    total_fte = sum((fte.get(s, Fraction(0)) for s in areas), Fraction(0))
    costs = {
        s: direct.get(s, Fraction(0))
        + (pool * fte.get(s, Fraction(0)) / total_fte if total_fte else Fraction(0))
        for s in areas
    }
    return pd.Series(costs, dtype=object).reindex(areas)


def exact_hourly_rates(model: PriceModelInput) -> pd.Series:
    """Rule 9 exactly: (std_c + a + P / Σ FTE) / hours per staff category, halves up."""
    pool, fte, _ = _exact_parts(model)
    total_fte = sum(fte.values(), Fraction(0))
    per_fte = pool / total_fte if total_fte else Fraction(0)
    a = q(model.administration_overhead_per_fte)
    hours = q(model.productive_hours_per_fte)
    return pd.Series(
        {
            c: round_half_up_exact((q(v) + a + per_fte) / hours)
            for c, v in model.cost_standards.items()
        },
        dtype=object,
    )


def exact_dedicated_costs(model: PriceModelInput, dedicated: pd.DataFrame) -> pd.Series:
    """Rule 5's d_j exactly, one per row of ``dedicated`` (``calculation.dedicated_costs``):
    ``fte_j·(std[c] + a) + P·fte_j / Σ_s FTE_s``."""
    if dedicated.empty:
        return pd.Series(dtype=object)
    pool, fte, _ = _exact_parts(model)
    total_fte = sum(fte.values(), Fraction(0))
    a = q(model.administration_overhead_per_fte)
    standards = {str(c): q(v) for c, v in model.cost_standards.items()}
    return pd.Series(
        [
            q(f) * (standards[c] + a) + pool * q(f) / total_fte
            for c, f in dedicated[["staff_category", "fte"]].itertuples(index=False)
        ],
        index=dedicated.index,
        dtype=object,
    )


def exact_keyed_costs(
    costs: pd.Series, dedicated: pd.DataFrame, exact_dedicated: pd.Series
) -> pd.Series:
    """K_s = C_s − Σ_{j∈s} d_j exactly, by service_area (rule 5)."""
    keyed = costs.copy()
    for area, amount in zip(dedicated["service_area"], exact_dedicated, strict=True):
        keyed[area] -= amount
    return keyed


def exact_key_pools(costs: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """pool_k = K_s · w_k exactly, by key_id (``costs``: C_s, or K_s with dedicated services)."""
    return pd.Series(
        {
            key: costs[area] * q(weight)
            for area, key, weight in keys[["service_area", "key_id", "weight"]].itertuples(
                index=False
            )
            if area in costs.index
        },
        dtype=object,
    )


def decimal_integers(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact integers ``n`` and one scale ``10^d`` with ``n / 10^d`` the typed decimals.

    Vectorised for the usual case (whole numbers, or few decimals); object integers otherwise.
    """
    values = np.asarray(values, dtype=float)
    for digits in range(10):
        scale = 10**digits
        scaled = np.round(values * scale)
        if np.all(np.abs(scaled) < 2.0**53) and np.array_equal(scaled / scale, values):
            return scaled.astype(np.int64), scale
    fractions = [q(v) for v in values]
    scale = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    return np.array([int(f * scale) for f in fractions], dtype=object), scale


def float_bound(exact: np.ndarray, terms: int) -> np.ndarray:
    """An upper bound of the error of float sums and products of non-negative terms.

    ``terms`` bounds the number of rounding steps on the way to each value (the rows summed
    into a key's total volume, the keys summed into a charge, the few steps of full cost).
    """
    return np.abs(exact) * (terms + 1024) * _UNIT + 1e-300


def exact_cells(
    cell_of_row: np.ndarray,
    wanted: np.ndarray,
    key_id: np.ndarray,
    volume: np.ndarray,
    amount: np.ndarray,
    pools: Mapping[str, Fraction] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact floors and fractional parts of the charges of the ``wanted`` cells.

    A row's exact amount is pool_k · v / V_k (V_k over all rows of key k) when its key has an
    exact pool, else its float amount taken as exact. Returns, per wanted cell in order, the
    floor (int) and the fractional part as (numerator, denominator) numerators over one
    common denominator per call, so comparisons are integer comparisons.
    """
    position = pd.Series(np.arange(len(wanted)), index=wanted)
    rows = np.flatnonzero(np.isin(cell_of_row, wanted))
    index = position.reindex(cell_of_row[rows]).to_numpy(dtype=np.int64)
    known = pd.Series(key_id).isin(list(pools or ())).to_numpy()
    coefficient: dict[str, Fraction] = {}
    integers = np.zeros(len(key_id), dtype=object)
    if known.any():
        # v / V_k with both in the same decimal scale: the scale cancels.
        integers[known] = decimal_integers(volume[known])[0]
        totals = pd.Series(integers[known]).groupby(key_id[known]).sum()
        coefficient = {k: pools[k] / int(totals[k]) for k in totals.index}
    keyed, other = rows[known[rows]], rows[~known[rows]]
    # A row without an exact pool is exact already (a Fraction, e.g. a dedicated service's
    # d_j) or a float taken as the exact binary fraction it is.
    other_coefficients = [
        a if isinstance(a, Fraction) else Fraction(float(a)) for a in amount[other]
    ]
    denominators = {c.denominator for c in coefficient.values()}
    denominators |= {c.denominator for c in other_coefficients}
    denominator = math.lcm(*denominators) if denominators else 1
    numerators = np.zeros(len(rows), dtype=object)
    scaled = {k: c.numerator * (denominator // c.denominator) for k, c in coefficient.items()}
    numerators[known[rows]] = (
        pd.Series(key_id[keyed]).map(scaled).to_numpy(dtype=object) * integers[keyed]
    )
    numerators[~known[rows]] = np.array(
        [c.numerator * (denominator // c.denominator) for c in other_coefficients], dtype=object
    )
    sums = np.zeros(len(wanted), dtype=object)
    np.add.at(sums, index, numerators)
    floors = np.array([n // denominator for n in sums], dtype=object)
    remainders = np.array([n % denominator for n in sums], dtype=object)
    return floors, remainders
