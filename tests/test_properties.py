"""Property-based tests of the spec's invariants on random models, and agreement to the krona
with an independent exact (rational arithmetic) implementation of the rules."""

from __future__ import annotations

from fractions import Fraction
from math import floor
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prismodell.calculation import calculate
from prismodell.inputs import PriceModelInput

from .conftest import examples

CATEGORIES = {"admin": 600_000.0, "ekonom": 750_000.0, "ledning": 1_000_000.0}


@st.composite
def models(draw) -> PriceModelInput:
    n_areas = draw(st.integers(1, 3))
    customers = [f"K{i:02d}" for i in range(draw(st.integers(1, 7)))]
    areas, keys, staffing, volumes, dedicated = [], [], [], [], []
    for a in range(n_areas):
        area = f"omrade{a}"
        areas.append({"service_area": area, "name": area.title(), "description": ""})
        n_keys = draw(st.integers(1, 3))
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n_keys - 1, max_size=n_keys - 1)))
        weights = [b - a_ for a_, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        for k, weight in enumerate(weights):
            key = f"{area}_nyckel{k}"
            keys.append(
                {
                    "service_area": area,
                    "key_id": key,
                    "name": key,
                    "weight": weight / 100,
                    "source": "test",
                }
            )
            values = draw(
                st.lists(st.integers(0, 50_000), min_size=len(customers), max_size=len(customers))
            )
            if weight > 0 and sum(values) == 0:
                values[0] = 1  # the spec makes a positive weight without volume an input error
            volumes += [
                {"customer_id": c, "key_id": key, "volume": float(v)}
                for c, v in zip(customers, values, strict=True)
                if v or draw(st.booleans())
            ]
        for category in draw(
            st.lists(st.sampled_from(["admin", "ekonom"]), min_size=1, max_size=2, unique=True)
        ):
            fte = draw(st.integers(1, 40)) / 2
            staffing.append({"service_area": area, "staff_category": category, "fte": fte})
            if draw(st.booleans()):
                # Rule 5: up to all of the category's FTEs, for any customer (volume or not).
                dedicated.append(
                    {
                        "service_area": area,
                        "service_id": f"{area}_{category}_sarskild",
                        "name": "Särskild tjänst",
                        "customer_id": draw(st.sampled_from(customers)),
                        "staff_category": category,
                        "fte": fte * draw(st.integers(1, 4)) / 4,
                    }
                )
    staffing.append(
        {
            "service_area": "internt_overhead",
            "staff_category": "ledning",
            "fte": draw(st.integers(0, 6)) / 2,
        }
    )
    return PriceModelInput(
        data_dir=Path("."),
        price_list_year=2023,
        volume_period=("2021-07", "2022-06"),
        productive_hours_per_fte=1600.0,
        administration_overhead_per_fte=float(draw(st.integers(0, 150_000))),
        cost_standards=pd.Series(CATEGORIES, name="cost_standard").rename_axis("staff_category"),
        service_areas=pd.DataFrame(areas),
        keys=pd.DataFrame(keys),
        staffing=pd.DataFrame(staffing),
        customers=pd.DataFrame({"customer_id": customers, "name": customers, "type": "x"}),
        volumes=pd.DataFrame(volumes, columns=["customer_id", "key_id", "volume"]),
        other_costs=pd.DataFrame(
            {
                "service_area": [areas[0]["service_area"], "internt_overhead"],
                "description": ["extra", "overhead"],
                "amount": [float(draw(st.integers(0, 10**6))), float(draw(st.integers(0, 10**5)))],
            }
        ),
        dedicated_services=pd.DataFrame(
            dedicated,
            columns=["service_area", "service_id", "name", "customer_id", "staff_category", "fte"],
        ),
    )


def exact_price_list(model: PriceModelInput) -> dict[tuple[str, str], int]:
    """The spec's rules in rational arithmetic, written independently of the package."""
    q = lambda x: Fraction(repr(float(x)))  # noqa: E731 - the decimal the analyst typed
    a = q(model.administration_overhead_per_fte)
    std = {c: q(v) for c, v in model.cost_standards.items()}
    rows = list(model.staffing.itertuples())
    areas = list(model.service_areas["service_area"])
    fte = {s: sum((q(r.fte) for r in rows if r.service_area == s), Fraction(0)) for s in areas}
    pool = sum(
        (
            q(r.fte) * (std[r.staff_category] + a)
            for r in rows
            if r.service_area == "internt_overhead"
        ),
        Fraction(0),
    ) + sum(
        (
            q(r.amount)
            for r in model.other_costs.itertuples()
            if r.service_area == "internt_overhead"
        ),
        Fraction(0),
    )
    other = {
        s: sum(
            (q(r.amount) for r in model.other_costs.itertuples() if r.service_area == s),
            Fraction(0),
        )
        for s in areas
    }
    services = model.dedicated_services
    if services is None:
        services = pd.DataFrame(columns=["service_area", "customer_id", "staff_category", "fte"])
    prices = {}
    for s in areas:
        direct = (
            sum(
                (q(r.fte) * std[r.staff_category] for r in rows if r.service_area == s), Fraction(0)
            )
            + fte[s] * a
            + other[s]
        )
        cost = direct + pool * fte[s] / sum(fte.values())
        published = floor(cost + Fraction(1, 2))
        exact: dict[str, Fraction] = {}
        for d in services.itertuples():
            if d.service_area == s:
                own = q(d.fte) * (std[d.staff_category] + a) + pool * q(d.fte) / sum(fte.values())
                exact[d.customer_id] = exact.get(d.customer_id, Fraction(0)) + own
                cost -= own  # K_s: the key pools get the rest
        for key in model.keys[model.keys["service_area"] == s].itertuples():
            vols = model.volumes[
                (model.volumes["key_id"] == key.key_id) & (model.volumes["volume"] > 0)
            ]
            total = sum((q(v) for v in vols["volume"]), Fraction(0))
            for c, v in zip(vols["customer_id"], vols["volume"], strict=True):
                exact[c] = exact.get(c, Fraction(0)) + cost * q(key.weight) * q(v) / total
        floors = {c: floor(x) for c, x in exact.items()}
        extra = published - sum(floors.values())
        ranked = sorted(exact, key=lambda c: (-(exact[c] - floors[c]), c))
        for i, c in enumerate(ranked):
            prices[(c, s)] = floors[c] + (1 if i < extra else 0)
    return prices


def as_dict(prices: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r.customer_id, r.service_area): int(r.amount) for r in prices.itertuples()}


FAST = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@FAST
@given(models())
def test_price_list_sums_to_full_cost_and_is_never_negative(model):
    result = calculate(model)
    totals = result.price_list.groupby("service_area")["amount"].sum()
    published = result.full_cost.set_index("service_area")["full_cost"]
    assert totals.reindex(published.index).tolist() == published.tolist()
    assert (result.price_list["amount"] >= 0).all()


@FAST
@given(models())
def test_agrees_with_exact_arithmetic_to_the_krona(model):
    assert as_dict(calculate(model).price_list) == exact_price_list(model)


@FAST
@given(models())
def test_rows_for_customers_with_volume_or_a_dedicated_service_only(model):
    result = calculate(model)
    used = model.volumes[model.volumes["volume"] > 0].merge(model.keys, on="key_id")
    users = set(zip(used["customer_id"], used["service_area"], strict=True))
    services = model.dedicated_services
    users |= set(zip(services["customer_id"], services["service_area"], strict=True))
    assert set(as_dict(result.price_list)) == users


@FAST
@given(models())
def test_dedicated_services_are_borne_by_their_customer(model):
    result = calculate(model)
    costs = result.full_cost.set_index("service_area")
    dedicated = result.dedicated_services.groupby("service_area")["amount"].sum()
    pools = result.unit_prices.groupby("service_area")["pool"].sum()
    for area, row in costs.iterrows():
        # K_s + Σ d_j = C_s: nothing is lost or counted twice
        total = pools.get(area, 0.0) + dedicated.get(area, 0.0)
        assert abs(total - row["exact_full_cost"]) < 1e-6 * max(1.0, row["exact_full_cost"])
        assert pools.get(area, 0.0) >= 0
    prices = as_dict(result.price_list)
    own = result.dedicated_services.groupby(["customer_id", "service_area"])["amount"].sum()
    for (customer, area), amount in own.items():
        assert prices[(customer, area)] >= floor(amount - 1e-6)


@FAST
@given(models(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(model, random):
    def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sample(frac=1, random_state=random.randint(0, 10**6)).reset_index(drop=True)

    other = PriceModelInput(
        **{
            **model.__dict__,
            "volumes": shuffled(model.volumes),
            "staffing": shuffled(model.staffing),
            "customers": shuffled(model.customers),
            "dedicated_services": shuffled(model.dedicated_services),
        }
    )
    before, after = calculate(model), calculate(other)
    pd.testing.assert_frame_equal(before.price_list, after.price_list)
    pd.testing.assert_frame_equal(before.full_cost, after.full_cost)


@FAST
@given(models(), st.data())
def test_more_volume_never_lowers_own_charge(model, data):
    row = data.draw(st.integers(0, len(model.volumes) - 1)) if len(model.volumes) else None
    if row is None:
        return
    more = model.volumes.copy()
    more.loc[row, "volume"] += data.draw(st.integers(1, 10_000))
    customer = more.loc[row, "customer_id"]
    area = model.keys.set_index("key_id").loc[more.loc[row, "key_id"], "service_area"]
    before = as_dict(calculate(model).price_list).get((customer, area), 0)
    after = as_dict(calculate(PriceModelInput(**{**model.__dict__, "volumes": more})).price_list)
    assert after[(customer, area)] >= before


# --------------------------------------------------------------------------- exactness (issue 7)


def one_area_model(amounts: list[float], volumes: dict[str, float]) -> PriceModelInput:
    """One service area, one key, full cost = the sum of ``amounts`` (other costs only)."""
    return PriceModelInput(
        data_dir=Path("."),
        price_list_year=2023,
        volume_period=("2021-07", "2022-06"),
        productive_hours_per_fte=1600.0,
        administration_overhead_per_fte=0.0,
        cost_standards=pd.Series({"admin": 0.0}, name="cost_standard").rename_axis(
            "staff_category"
        ),
        service_areas=pd.DataFrame([{"service_area": "omr", "name": "Omr", "description": ""}]),
        keys=pd.DataFrame(
            [{"service_area": "omr", "key_id": "k", "name": "k", "weight": 1.0, "source": "t"}]
        ),
        staffing=pd.DataFrame([{"service_area": "omr", "staff_category": "admin", "fte": 1.0}]),
        customers=pd.DataFrame({"customer_id": list(volumes), "name": list(volumes), "type": "x"}),
        volumes=pd.DataFrame(
            {"customer_id": list(volumes), "key_id": "k", "volume": list(volumes.values())}
        ),
        other_costs=pd.DataFrame({"service_area": "omr", "description": "x", "amount": amounts}),
    )


def test_near_tie_within_a_millionth_goes_to_the_larger_exact_remainder():
    # 1 krona between A (0.49999999975…) and B (0.50000000025…): B's remainder is larger.
    model = one_area_model([1.0], {"A": 1e9, "B": 1e9 + 1})
    assert as_dict(calculate(model).price_list) == {("A", "omr"): 0, ("B", "omr"): 1}
    assert exact_price_list(model) == {("A", "omr"): 0, ("B", "omr"): 1}


def test_exact_tie_goes_to_the_smaller_customer_id():
    model = one_area_model([1.0], {"B": 7.0, "A": 7.0})
    assert as_dict(calculate(model).price_list) == {("A", "omr"): 1, ("B", "omr"): 0}


def test_full_cost_half_krona_at_a_trillion_rounds_up():
    # These other costs sum to exactly 1 000 000 000 000.50 kr; in floats to a hair below.
    model = one_area_model([233185020236.34, 261801920024.3, 505013059739.86], {"A": 1.0})
    result = calculate(model)
    assert result.full_cost["full_cost"].tolist() == [1_000_000_000_001]
    assert as_dict(result.price_list) == {("A", "omr"): 1_000_000_000_001}
    assert as_dict(result.price_list) == exact_price_list(model)


@st.composite
def near_tie_models(draw) -> PriceModelInput:
    """Few customers with almost equal, huge volumes and amounts up to 10^12 kr with öre:
    remainders that differ far below what floats resolve."""
    base = draw(st.integers(10**6, 10**11))
    n = draw(st.integers(2, 6))
    scale = 10 ** draw(st.integers(0, 3))  # volumes with decimals too
    volumes = {f"K{i}": (base + draw(st.integers(0, 3))) / scale for i in range(n)}
    cents = draw(st.lists(st.integers(0, 10**14), min_size=1, max_size=3))
    return one_area_model([c / 100 for c in cents], volumes)


@FAST
@given(near_tie_models())
def test_near_ties_and_huge_amounts_agree_with_exact_arithmetic(model):
    result = calculate(model)
    assert as_dict(result.price_list) == exact_price_list(model)
    assert result.price_list["amount"].sum() == result.full_cost["full_cost"].sum()


def test_decimal_volumes_in_a_tie_are_rounded_exactly():
    # Found by the reader fuzz test: volumes with decimals reaching the exact path.
    model = one_area_model([101.0], {"B": 0.5, "A": 0.5, "C": 0.25})  # 40.4, 40.4, 20.2 kr
    assert as_dict(calculate(model).price_list) == exact_price_list(model)
    assert as_dict(calculate(model).price_list)[("A", "omr")] == 41


@st.composite
def remainder_cases(draw):
    """Several groups of non-negative floats, many of them near or exact ties, and each
    group's total: the published kronor (its exact sum, rounded half up)."""
    groups = draw(st.integers(1, 4))
    values, group = [], []
    for g in range(groups):
        base = draw(st.floats(0, 1e12, allow_nan=False))
        for _ in range(draw(st.integers(1, 6))):
            nudge = draw(st.sampled_from([0.0, 1e-9, -1e-9, 0.5, 1e-4, 0.25]))
            values.append(max(base + nudge * draw(st.integers(0, 3)), 0.0))
            group.append(g)
    totals = []
    for g in range(groups):
        exact = sum(
            (Fraction(v) for v, h in zip(values, group, strict=True) if h == g), Fraction(0)
        )
        totals.append(float(floor(exact + Fraction(1, 2))))
    return values, group, totals


@FAST
@given(remainder_cases(), st.booleans())
def test_largest_remainder_equals_the_exact_rule_on_near_ties(case, tight):
    from prismodell.calculation import _largest_remainder
    from prismodell.exact import float_bound

    values, group, totals = case
    exact = np.array(values)
    # tight=False: the bound sends every group to the exact path; True: floats where provable.
    bound = float_bound(exact, 1) if tight else np.full(len(exact), 2.0)
    tie_rank = np.arange(len(exact))[::-1].copy()  # ties by a rank that is not the position
    got = _largest_remainder(exact, np.array(group), tie_rank, np.array(totals), bound)
    expected = []
    for g, total in enumerate(totals):
        cells = [i for i, h in enumerate(group) if h == g]
        fractions = {i: Fraction(values[i]) for i in cells}
        kronor = {i: floor(fractions[i]) for i in cells}
        extra = int(total) - sum(kronor.values())
        ranked = sorted(cells, key=lambda i: (-(fractions[i] - kronor[i]), tie_rank[i]))
        for i in ranked[:extra]:
            kronor[i] += 1
        expected += [kronor[i] for i in cells]
    order = np.argsort(np.array(group), kind="stable")
    assert got[order].tolist() == expected
