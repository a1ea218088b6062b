"""What-if scenarios for the steering group.

A scenario is a YAML file ``DATA_DIR/scenarios/NAME.yml`` that overrides parts of the base year
(every field optional)::

    description: Tyngre vikt på felaktiga fakturor
    weights: {antal_fakturor: 0.40, felaktiga_fakturor: 0.35, antal_krav: 0.25}  # by key id
    cost_standards: {ekonom: 790000}                                             # by category
    administration_overhead_per_fte: 98000
    staffing: [{service_area: leverantorsreskontra, staff_category: ekonomiadministrator, fte: 30}]
    volume_changes: [{customer_id: sdf_bromma, key_id: antal_krav, factor: 0.8}]
    dedicated_services: [{service_id: utbf_fritidsklubbar, fte: 0.5}]

``dedicated_services`` sets the FTEs of a dedicated service of ``dedicated_services.csv`` (0: its
cost goes back to the key pools);
``staffing`` replaces the FTE of that (service area, staff category) row or adds the pair;
``volume_changes`` multiplies the volumes of one key, for one customer or (``customer_id`` left
out) for all customers; several factors that hit the same volume multiply. The scenario is
checked against the base year with the same care as the input folder: every problem names the
file, the YAML line, the field path and what to fix, in Swedish, and all of them are collected
before :class:`~prismodell.inputs.InputError` is raised.

:func:`apply_scenario` is pure: it returns a new :class:`PriceModelInput` that the ordinary
calculation runs on. :func:`compare_results` sets the scenario's price list against the base
year's, separating the real cost change (the difference of full cost) from the redistribution
between customers (what moves when the full cost stays the same).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import style
from .calculation import PriceModelResult, calculate
from .inputs import (
    INTERNAL_OVERHEAD,
    MAX_AMOUNT,
    MAX_FTE,
    WEIGHT_TOLERANCE,
    InputError,
    PriceModelInput,
    Problem,
    dedicated_over_staffing,
    load_input,
)
from .narrative import MISSING, YamlFields, read_yaml
from .problems import known_value_hint
from .report_tables import (
    TOTAL_LABEL,
    area_names,
    customer_names,
    key_names,
    relative_change,
    staff_category_label,
)

SCENARIO_DIR = "scenarios"
SCENARIO_SUFFIX = ".yml"
SCENARIO_FIELDS = (
    "description",
    "weights",
    "cost_standards",
    "administration_overhead_per_fte",
    "staffing",
    "volume_changes",
    "dedicated_services",
)
DEDICATED_FIELDS = ("service_id", "fte")
STAFFING_FIELDS = ("service_area", "staff_category", "fte")
VOLUME_CHANGE_FIELDS = ("customer_id", "key_id", "factor")
# A volume factor beyond this is a typo, not a what-if (and 1e300 would overflow the volumes).
MAX_FACTOR = 1000
_NAME = re.compile(r"^[a-z0-9_]+$")
ALL_CUSTOMERS = "alla kunder"


@dataclass(frozen=True)
class StaffingChange:
    """The FTE of one (service area, staff category) pair in the scenario."""

    service_area: str
    staff_category: str
    fte: float


@dataclass(frozen=True)
class VolumeChange:
    """A factor on the volumes of one key, for one customer or (None) for all customers."""

    key_id: str
    factor: float
    customer_id: str | None = None


@dataclass(frozen=True)
class DedicatedChange:
    """The FTEs of one dedicated service (rule 5) in the scenario."""

    service_id: str
    fte: float


@dataclass(frozen=True)
class Scenario:
    """A checked scenario: what it overrides in the base year."""

    name: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)  # key_id -> weight
    cost_standards: Mapping[str, float] = field(default_factory=dict)  # category -> kr per FTE
    administration_overhead_per_fte: float | None = None
    staffing: tuple[StaffingChange, ...] = ()
    volume_changes: tuple[VolumeChange, ...] = ()
    path: Path | None = None
    dedicated_services: tuple[DedicatedChange, ...] = ()

    @property
    def title(self) -> str:
        """The description, or the name when the scenario has none."""
        return self.description or self.name


# --------------------------------------------------------------------------- the files


def scenario_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / SCENARIO_DIR


def list_scenarios(data_dir: Path | str) -> list[str]:
    """The names of the scenarios of a data folder (``scenarios/NAME.yml``), sorted."""
    folder = scenario_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(
        p.name.removesuffix(SCENARIO_SUFFIX)
        for p in folder.glob(f"*{SCENARIO_SUFFIX}")
        if p.is_file() and not p.name.startswith(".")
    )


def scenario_file(data_dir: Path | str, name: str) -> Path:
    """The file of scenario ``name``; InputError listing the available ones when missing."""
    name = str(name).removesuffix(SCENARIO_SUFFIX)
    available = list_scenarios(data_dir)
    label = f"{SCENARIO_DIR}/{name}{SCENARIO_SUFFIX}"
    if name not in available:
        folder = scenario_dir(data_dir)
        if not available:
            fix = (
                f"Datamappen har inga scenarier ({folder} saknas eller är tom). Skapa "
                f"{SCENARIO_DIR}/NAMN{SCENARIO_SUFFIX} (se docs/price-model.md, Scenarier)."
            )
        else:
            close = known_value_hint(name, available, list_all=False)
            fix = f"Tillgängliga scenarier: {', '.join(available)}."
            fix = f"{close} {fix}" if close else fix
        raise InputError([Problem(label, f"scenariot {name!r} finns inte i {folder}. {fix}")])
    if not _NAME.match(name):
        raise InputError(
            [
                Problem(
                    label,
                    f"scenarionamnet {name!r} får bara innehålla a–z, 0–9 och _ (inga å, ä, ö, "
                    "mellanslag eller stora bokstäver). Byt namn på filen.",
                )
            ]
        )
    return scenario_dir(data_dir) / f"{name}{SCENARIO_SUFFIX}"


def load_scenario(data_dir: Path | str, name: str, model: PriceModelInput) -> Scenario:
    """Read and check ``scenarios/NAME.yml`` against the base year ``model``.

    Raises InputError listing every problem: unknown ids (with a "Menade du …?" hint), fields
    the format does not know, numbers that are not numbers or are negative, weights of a
    service area that no longer sum to 1 after the merge, a service area left without FTEs and
    a weighted key left without volume.
    """
    path = scenario_file(data_dir, name)
    fields, problems = read_yaml(path, f"{SCENARIO_DIR}/{path.name}")
    if fields is None:
        where = "(se docs/price-model.md, Scenarier)"
        raise InputError(
            [Problem(p.file, p.message.replace("(se README.md)", where), p.row) for p in problems]
        )
    parsed = _Parser(fields, model)
    scenario = parsed.scenario(path.name.removesuffix(SCENARIO_SUFFIX), path)
    parsed.merged_checks(scenario)
    if fields.problems:
        raise InputError(sorted(fields.problems, key=lambda p: p.row or 0))
    return scenario


def load_scenarios(
    data_dir: Path | str, names: Iterable[str], model: PriceModelInput
) -> list[Scenario]:
    """Several scenarios; the problems of all of them in one InputError."""
    scenarios, problems = [], []
    for name in dict.fromkeys(names):
        try:
            scenarios.append(load_scenario(data_dir, name, model))
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    return scenarios


class _Parser:
    """Turns the YAML fields into a Scenario, reporting every problem with its line."""

    def __init__(self, fields: YamlFields, model: PriceModelInput):
        self.f = fields
        self.model = model
        self.sound: set[str] = set()  # sections without problems: their merge can be checked

    def _section(self, name: str, parse):
        before = len(self.f.problems)
        value = parse()
        if len(self.f.problems) == before:
            self.sound.add(name)
        return value

    def number(
        self, path: tuple, maximum: float | None = None, limit: float = MAX_AMOUNT
    ) -> float | None:
        value = self.f.get(path)
        if value is MISSING or value is None:
            self.f.add(path, "värdet saknas. Ange ett tal.")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
            # Checked before any float conversion: an integer of hundreds of digits overflows.
            shown = f"{value:.6g}" if abs(value) < 10**300 else "talet"
            self.f.add(
                path,
                f"{shown} är orimligt stort (högst {limit:,.0f}). ".replace(",", " ")
                + "Kontrollera talet och enheten.",
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            if isinstance(value, str) and re.fullmatch(r"[\d\s\u00a0]+([.,]\d+)?", value):
                self.f.add(
                    path,
                    f"{value!r} är inte ett tal i YAML. Skriv talet utan mellanslag och med "
                    "decimalpunkt, t.ex. 790000 eller 0.35.",
                )
            else:
                self.f.add(path, f"{value!r} är inte ett tal. Ange ett tal, t.ex. 0.35.")
            return None
        if value < 0:
            self.f.add(path, f"{value!r} är negativt. Värdet måste vara 0 eller större.")
            return None
        if maximum is not None and value > maximum:
            self.f.add(
                path,
                f"vikten {value:g} är större än 1. Ange vikten som andel, t.ex. 0.25 för 25 %.",
            )
            return None
        if value > limit:
            self.f.add(
                path,
                f"{value:g} är orimligt stort (högst {limit:,.0f}). ".replace(",", " ")
                + "Kontrollera talet och enheten.",
            )
            return None
        return float(value)

    def mapping(self, name: str, what: str) -> dict:
        value = self.f.get((name,))
        if value is MISSING or value is None:
            return {}
        if not isinstance(value, dict):
            self.f.add((name,), f"ska vara {what} på formen {{id: värde, id: värde}}.")
            return {}
        return value

    def scenario(self, name: str, path: Path) -> Scenario:
        self.f.fields((), SCENARIO_FIELDS)
        overhead = None
        if self.f.get(("administration_overhead_per_fte",)) not in (None, MISSING):
            overhead = self._section(
                "overhead", lambda: self.number(("administration_overhead_per_fte",))
            )
        return Scenario(
            name=name,
            description=self.f.text(("description",), required=False),
            weights=self._section("weights", self.weights),
            cost_standards=self._section("cost_standards", self.cost_standards),
            administration_overhead_per_fte=overhead,
            staffing=self._section("staffing", self.staffing),
            volume_changes=self._section("volume_changes", self.volume_changes),
            path=path,
            dedicated_services=self._section("dedicated_services", self.dedicated_services),
        )

    def weights(self) -> dict[str, float]:
        known = self.model.keys["key_id"].tolist()
        weights = {}
        for key, _ in self.mapping("weights", "vikter per nyckel-id").items():
            path = ("weights", key)
            key = str(key)
            if key not in known:
                self.f.add(
                    path,
                    f"nyckeln {key!r} finns inte i model.yml (service_areas → keys). "
                    f"{known_value_hint(key, known)}",
                )
                continue
            weight = self.number(path, maximum=1.0)
            if weight is not None:
                weights[key] = weight
        return weights

    def cost_standards(self) -> dict[str, float]:
        known = self.model.cost_standards.index.tolist()
        standards = {}
        mapping = self.mapping("cost_standards", "kostnadsschabloner per personalkategori")
        for category in mapping:
            path = ("cost_standards", category)
            category = str(category)
            if category not in known:
                self.f.add(
                    path,
                    f"personalkategorin {category!r} finns inte i model.yml (cost_standards). "
                    f"{known_value_hint(category, known)}",
                )
                continue
            value = self.number(path)
            if value is not None:
                standards[category] = value
        return standards

    def staffing(self) -> tuple[StaffingChange, ...]:
        areas = self.model.service_areas["service_area"].tolist() + [INTERNAL_OVERHEAD]
        categories = self.model.cost_standards.index.tolist()
        items = self.f.items(
            ("staffing",),
            "bemanningsrad {service_area: ..., staff_category: ..., fte: ...}",
            required=False,
            allowed=STAFFING_FIELDS,
        )
        changes, seen = [], {}
        for path, _ in items:
            area = self.f.one_of(
                path + ("service_area",), areas, "tjänsteområdet", "model.yml (service_areas)"
            )
            category = self.f.one_of(
                path + ("staff_category",),
                categories,
                "personalkategorin",
                "model.yml (cost_standards)",
            )
            fte = self.number(path + ("fte",), limit=MAX_FTE)
            if area not in areas or category not in categories or fte is None:
                continue
            if (area, category) in seen:
                self.f.add(
                    path,
                    f"{area}, {category} anges redan i punkt {seen[(area, category)]}. "
                    "Ta bort den ena punkten.",
                )
                continue
            seen[(area, category)] = path[-1] + 1
            changes.append(StaffingChange(area, category, fte))
        return tuple(changes)

    def volume_changes(self) -> tuple[VolumeChange, ...]:
        customers = self.model.customers["customer_id"].tolist()
        keys = self.model.keys["key_id"].tolist()
        volumes = self.model.volumes
        has_volume = set(
            zip(volumes["customer_id"], volumes["key_id"].where(volumes["volume"] > 0), strict=True)
        )
        items = self.f.items(
            ("volume_changes",),
            "volymförändring {customer_id: ..., key_id: ..., factor: ...}",
            required=False,
            allowed=VOLUME_CHANGE_FIELDS,
        )
        changes, seen = [], {}
        for path, item in items:
            customer = None
            if item.get("customer_id") is not None:
                customer = self.f.one_of(
                    path + ("customer_id",),
                    customers,
                    "kunden",
                    Path(self.model.files.get("customers", "customers.csv")).name,
                )
            key = self.f.one_of(
                path + ("key_id",), keys, "nyckeln", "model.yml (service_areas → keys)"
            )
            factor = self.number(path + ("factor",), limit=MAX_FACTOR)
            if (customer is not None and customer not in customers) or key not in keys:
                continue
            if factor is None:
                continue
            if customer is not None and (customer, key) not in has_volume:
                self.f.add(
                    path,
                    f"kunden {customer!r} har ingen volym av nyckeln {key!r} i basåret, så "
                    "faktorn ändrar ingenting. Ta bort punkten eller rätta kund eller nyckel.",
                )
                continue
            if (customer, key) in seen:
                who = customer or ALL_CUSTOMERS
                self.f.add(
                    path,
                    f"volymen av {key} för {who} ändras redan i punkt {seen[(customer, key)]}. "
                    "Slå ihop punkterna till en faktor.",
                )
                continue
            seen[(customer, key)] = path[-1] + 1
            changes.append(VolumeChange(key, factor, customer))
        return tuple(changes)

    def dedicated_services(self) -> tuple[DedicatedChange, ...]:
        base = self.model.dedicated_services
        known = [] if base is None else base["service_id"].tolist()
        items = self.f.items(
            ("dedicated_services",),
            "särskild tjänst {service_id: ..., fte: ...}",
            required=False,
            allowed=DEDICATED_FIELDS,
        )
        where = Path(self.model.files.get("dedicated_services", "dedicated_services.csv")).name
        changes, seen = [], {}
        for path, _ in items:
            service = self.f.one_of(path + ("service_id",), known, "den särskilda tjänsten", where)
            fte = self.number(path + ("fte",), limit=MAX_FTE)
            if service not in known or fte is None:
                continue
            if service in seen:
                self.f.add(
                    path,
                    f"{service} anges redan i punkt {seen[service]}. Ta bort den ena punkten.",
                )
                continue
            seen[service] = path[-1] + 1
            changes.append(DedicatedChange(service, fte))
        return tuple(changes)

    def merged_checks(self, scenario: Scenario) -> None:
        """What must hold after the merge: weights of touched areas sum to 1, every service
        area keeps FTEs, dedicated services fit in the staffing, every weighted key keeps some
        volume."""
        merged = apply_scenario(self.model, scenario)
        keys = merged.keys
        if "weights" in self.sound and scenario.weights:
            touched = keys.loc[keys["key_id"].isin(list(scenario.weights)), "service_area"]
            for area in dict.fromkeys(touched):
                own = keys[keys["service_area"] == area]
                total = float(own["weight"].sum())
                if abs(total - 1.0) <= WEIGHT_TOLERANCE:
                    continue
                given = [k for k in own["key_id"] if k in scenario.weights]
                kept = own[~own["key_id"].isin(given)]
                parts = ", ".join(f"{k} {scenario.weights[k]:g}" for k in given)
                if len(kept):
                    parts += "; från basåret: " + ", ".join(
                        f"{k} {w:g}" for k, w in zip(kept["key_id"], kept["weight"], strict=True)
                    )
                self.f.add(
                    ("weights", given[0]),
                    f"vikterna för tjänsteområdet {area} summerar till {total:.6g} efter "
                    f"scenariot, inte 1 (i scenariot: {parts}). Justera vikterna så att de blir "
                    "1 (100 %) tillsammans; en nyckel som inte anges behåller basårets vikt.",
                )
        if "staffing" in self.sound and scenario.staffing:
            fte = merged.staffing.groupby("service_area")["fte"].sum()
            for change in scenario.staffing:
                area = change.service_area
                if area != INTERNAL_OVERHEAD and not fte.get(area, 0.0) > 0:
                    self.f.add(
                        (
                            "staffing",
                            self._item_index(
                                "staffing",
                                service_area=change.service_area,
                                staff_category=change.staff_category,
                            ),
                            "fte",
                        ),
                        f"tjänsteområdet {area!r} har inga årsarbetare efter scenariot. Utan "
                        "årsarbetare kan ingen självkostnad beräknas; ange ett fte större än 0.",
                    )
        dedicated = merged.dedicated_services
        if {"staffing", "dedicated_services"} <= self.sound and dedicated is not None:
            changed = {c.service_id for c in scenario.dedicated_services}
            for area, category, total, available, rows in dedicated_over_staffing(
                dedicated, merged.staffing
            ):
                services = dedicated.loc[rows, "service_id"].tolist()
                mine = [s for s in services if s in changed]
                if mine:  # point at the scenario's own service, else at its staffing row
                    item = self._item_index("dedicated_services", service_id=mine[0])
                    path = ("dedicated_services", item, "fte")
                else:
                    item = self._item_index("staffing", service_area=area, staff_category=category)
                    path = ("staffing", item, "fte")
                self.f.add(
                    path,
                    f"de särskilda tjänsterna i {area} ({', '.join(services)}) får {total:g} "
                    f"årsarbetare {category} efter scenariot, men bemanningen har bara "
                    f"{available:g}. Deras årsarbetare ingår i bemanningen: minska fte för "
                    "tjänsterna eller öka bemanningen.",
                )
        if {"weights", "volume_changes"} <= self.sound:
            totals = merged.volumes.groupby("key_id")["volume"].sum()
            for key in keys.itertuples():
                if key.weight > 0 and not totals.get(key.key_id, 0.0) > 0:
                    if key.key_id in scenario.weights:
                        path = ("weights", key.key_id)
                    else:
                        path = (
                            "volume_changes",
                            self._item_index("volume_changes", key_id=key.key_id),
                        )
                    self.f.add(
                        path,
                        f"nyckeln {key.key_id!r} ({key.service_area}) har vikten {key.weight:g} "
                        "men ingen volym hos någon kund efter scenariot. Sätt vikten till 0 "
                        "eller behåll någon volym.",
                    )

    def _item_index(self, section: str, **wanted: str) -> int:
        """The position of the first item of a list section with the ``wanted`` fields."""
        items = self.f.get((section,))
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and all(str(item.get(k)) == v for k, v in wanted.items()):
                return i
        return 0


# --------------------------------------------------------------------------- merge


def apply_scenario(model: PriceModelInput, scenario: Scenario) -> PriceModelInput:
    """The base year with the scenario's overrides: a new PriceModelInput (``model`` is left
    as it is). Assumes a scenario checked by :func:`load_scenario` against this model."""
    settings = copy.deepcopy(dict(model.settings))

    keys = model.keys.copy()
    if scenario.weights:
        given = keys["key_id"].map(dict(scenario.weights))
        keys["weight"] = given.fillna(keys["weight"]).astype(float)
        for area in settings.get("service_areas", {}).values():
            for key in area.get("keys", []) if isinstance(area, dict) else []:
                if isinstance(key, dict) and key.get("id") in scenario.weights:
                    key["weight"] = scenario.weights[key["id"]]

    standards = model.cost_standards.copy()
    for category, value in scenario.cost_standards.items():
        standards[category] = float(value)
    if scenario.cost_standards and isinstance(settings.get("cost_standards"), dict):
        settings["cost_standards"].update(scenario.cost_standards)

    overhead = model.administration_overhead_per_fte
    if scenario.administration_overhead_per_fte is not None:
        overhead = float(scenario.administration_overhead_per_fte)
        settings["administration_overhead_per_fte"] = overhead

    staffing = model.staffing.copy()
    added = []
    for change in scenario.staffing:
        rows = staffing.index[
            (staffing["service_area"] == change.service_area)
            & (staffing["staff_category"] == change.staff_category)
        ]
        if len(rows):
            staffing.loc[rows[0], "fte"] = float(change.fte)
            staffing = staffing.drop(rows[1:])
        else:
            added.append(
                {
                    "service_area": change.service_area,
                    "staff_category": change.staff_category,
                    "fte": float(change.fte),
                }
            )
    if added:
        staffing = pd.concat([staffing, pd.DataFrame(added)], ignore_index=True)
    staffing = staffing.reset_index(drop=True)

    volumes = model.volumes.copy()
    for change in scenario.volume_changes:
        hit = volumes["key_id"] == change.key_id
        if change.customer_id is not None:
            hit &= volumes["customer_id"] == change.customer_id
        volumes.loc[hit, "volume"] = volumes.loc[hit, "volume"] * float(change.factor)

    dedicated = model.dedicated_services
    if scenario.dedicated_services and dedicated is not None:
        given = dedicated["service_id"].map(
            {c.service_id: c.fte for c in scenario.dedicated_services}
        )
        dedicated = dedicated.assign(fte=given.fillna(dedicated["fte"]).astype(float))
        # A service set to 0 FTE no longer exists: its customer keeps no row for it.
        dedicated = dedicated[dedicated["fte"] > 0].reset_index(drop=True)

    files = dict(model.files)
    if scenario.path is not None:
        files["scenario"] = scenario.path
    return dataclasses.replace(
        model,
        administration_overhead_per_fte=overhead,
        cost_standards=standards,
        keys=keys,
        staffing=staffing,
        volumes=volumes,
        settings=settings,
        files=files,
        dedicated_services=dedicated,
    )


# --------------------------------------------------------------------------- what changed

CHANGE_HEADERS = {
    "kind": "Ändring",
    "item": "Vad",
    "base": "Basår",
    "scenario": "Scenario",
}


def _share(value: float) -> str:
    for decimals in (0, 1, 2, 3):
        if abs(value * 100 - round(value * 100, decimals)) < 1e-9:
            break
    return style.format_percent(value, decimals)


def _quantity(value: float) -> str:
    return style.format_number(value, 0 if float(value).is_integer() else 2)


def _factor(value: float) -> str:
    return style.format_number(value, 2).rstrip("0").rstrip(",")


def scenario_change_values(model: PriceModelInput, scenario: Scenario) -> pd.DataFrame:
    """What the scenario changes in the base year ``model``, as numbers.

    Columns: kind, item (display text), base and scenario (numbers; base NaN for a staffing
    row the base year does not have), unit (``share``, ``kr``, ``fte``, ``fte2`` (two
    decimals) or ``volume``) and
    factor (volume changes, else NaN); one row per override, in the order of the file's
    sections.
    """
    areas, keys = area_names(model), key_names(model)
    customers = customer_names(model)
    key_area = dict(zip(model.keys["key_id"], model.keys["service_area"], strict=True))
    weights = dict(zip(model.keys["key_id"], model.keys["weight"], strict=True))
    nan = float("nan")
    rows = []
    for key, weight in scenario.weights.items():
        item = f"{areas[key_area[key]]}: {keys[key]}"
        rows.append(("Vikt", item, weights[key], weight, "share", nan))
    for category, value in scenario.cost_standards.items():
        item = f"{staff_category_label(category)}, kr per årsarbetare"
        rows.append(("Kostnadsschablon", item, model.cost_standards[category], value, "kr", nan))
    if scenario.administration_overhead_per_fte is not None:
        rows.append(
            (
                "Overhead",
                "Förvaltningsövergripande overhead, kr per årsarbetare",
                model.administration_overhead_per_fte,
                scenario.administration_overhead_per_fte,
                "kr",
                nan,
            )
        )
    staffing = model.staffing
    for change in scenario.staffing:
        base = staffing.loc[
            (staffing["service_area"] == change.service_area)
            & (staffing["staff_category"] == change.staff_category),
            "fte",
        ]
        area = (
            "Intern overhead"
            if change.service_area == INTERNAL_OVERHEAD
            else areas[change.service_area]
        )
        item = f"{area}: {staff_category_label(change.staff_category)}, årsarbetare"
        rows.append(
            ("Bemanning", item, base.sum() if len(base) else nan, change.fte, "fte", nan)
        )
    volumes = model.volumes
    for change in scenario.volume_changes:
        hit = volumes["key_id"] == change.key_id
        if change.customer_id is not None:
            hit &= volumes["customer_id"] == change.customer_id
        base = float(volumes.loc[hit, "volume"].sum())
        who = ALL_CUSTOMERS if change.customer_id is None else customers[change.customer_id]
        item = f"{who}: {areas[key_area[change.key_id]]} – {keys[change.key_id]}"
        rows.append(("Volym", item, base, base * change.factor, "volume", change.factor))
    if scenario.dedicated_services:
        services = model.dedicated_services.set_index("service_id")
        for change in scenario.dedicated_services:
            service = services.loc[change.service_id]
            label = service["name"] or change.service_id
            item = (
                f"{areas[service['service_area']]}: {label} "
                f"({customers[service['customer_id']]}), årsarbetare"
            )
            rows.append(
                ("Särskild tjänst", item, float(service["fte"]), change.fte, "fte2", nan)
            )
    columns = [*CHANGE_HEADERS, "unit", "factor"]
    return pd.DataFrame(rows, columns=columns).astype({"base": float, "scenario": float})


_CHANGE_TEXT = {
    "share": _share,
    "kr": style.format_kr,
    "fte": lambda value: style.format_number(value, 1),
    "fte2": lambda value: style.format_number(value, 2),  # dedicated services' FTEs
    "volume": _quantity,
}


def scenario_changes(model: PriceModelInput, scenario: Scenario) -> pd.DataFrame:
    """What the scenario changes in the base year ``model``, as display text.

    Columns: kind, item, base, scenario (see ``CHANGE_HEADERS``); one row per override, in the
    order of the file's sections (the numbers: :func:`scenario_change_values`).
    """
    values = scenario_change_values(model, scenario)
    rows = []
    for row in values.itertuples(index=False):
        text = _CHANGE_TEXT[row.unit]
        base = "– (ny rad)" if pd.isna(row.base) else text(row.base)
        new = text(row.scenario)
        if row.unit == "volume":
            new += f" (×{style.NBSP}{_factor(row.factor)})"
        rows.append((row.kind, row.item, base, new))
    return pd.DataFrame(rows, columns=list(CHANGE_HEADERS))


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


# --------------------------------------------------------------------------- display

AREA_HEADERS = {
    "area": "Tjänsteområde",
    "base": "Självkostnad basår",
    "scenario": "Självkostnad scenario",
    "cost_change": "Kostnadsförändring",
    "change": "Förändring %",
    "redistribution": "Omfördelning mellan kunder",
}
AREA_FORMATS = {
    "base": "kr",
    "scenario": "kr",
    "cost_change": "signed_kr",
    "change": "change",
    "redistribution": "kr",
}
CUSTOMER_AREA_HEADERS = {
    "name": "Kund",
    "area": "Tjänsteområde",
    "base": "Basår",
    "scenario": "Scenario",
    "difference": "Förändring",
    "change": "Förändring %",
}
CUSTOMER_AREA_FORMATS = {
    "base": "kr", "scenario": "kr", "difference": "signed_kr", "change": "change"
}
REDISTRIBUTION_NOTE = (
    "Omfördelningen är summan av kundernas ökningar och minskningar utöver tjänsteområdets "
    "kostnadsförändring (fördelad efter basårets andelar); varje omfördelad krona räknas både "
    "hos kunden som betalar mer och hos kunden som betalar mindre. Några kronor kan komma från "
    "avrundningen till hela kronor."
)


def area_table(comparison: ScenarioComparison) -> pd.DataFrame:
    """Full cost per service area in base and scenario, cost change and redistribution, with
    a total row."""
    table = comparison.by_area[list(AREA_HEADERS)].copy()
    total = {
        "area": TOTAL_LABEL,
        "base": comparison.base_total,
        "scenario": comparison.scenario_total,
        "cost_change": comparison.cost_change,
        "change": comparison.cost_change / comparison.base_total
        if comparison.base_total
        else np.nan,
        "redistribution": comparison.redistribution,
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def top_changes(comparison: ScenarioComparison, n: int = 15) -> pd.DataFrame:
    """The ``n`` largest changes per customer and service area (rows without change left out)."""
    rows = comparison.by_customer_area
    rows = rows[rows["difference"] != 0].head(n)
    return rows[list(CUSTOMER_AREA_HEADERS)].reset_index(drop=True)


def changes_by_area_wide(run: ScenarioRun, n: int = 15) -> pd.DataFrame:
    """For the figure: the ``n`` customers with the largest total change (rows, display
    names), one column per service area (display names, model order), signed kronor."""
    comparison = run.comparison
    top = comparison.by_customer[comparison.by_customer["difference"] != 0].head(n)
    detail = comparison.by_customer_area
    rows = detail[detail["customer_id"].isin(top["customer_id"])]
    wide = rows.pivot_table(
        index="customer_id", columns="service_area", values="difference", aggfunc="sum"
    )
    order = list(run.base_model.service_areas["service_area"])
    wide = wide.reindex(index=top["customer_id"], columns=order).fillna(0.0)
    wide.index = top["name"].to_numpy()
    wide.columns = [area_names(run.base_model)[a] for a in order]
    return wide


def summary_text(run: ScenarioRun) -> str:
    """The scenario's effect in two or three Swedish sentences (for the book and the CLI)."""
    c = run.comparison
    parts = []
    if round(c.cost_change) == 0:
        parts.append(
            f"Scenariot ändrar inte den sammanlagda självkostnaden, "
            f"{style.format_kr(c.base_total)}."
        )
    else:
        parts.append(
            f"Scenariot ändrar den sammanlagda självkostnaden från "
            f"{style.format_kr(c.base_total)} till {style.format_kr(c.scenario_total)}, en "
            f"kostnadsförändring på {style.format_signed_kr(c.cost_change)} "
            f"({style.format_percent(c.cost_change / c.base_total, signed=True)})."
        )
    unchanged = c.by_area.loc[c.by_area["cost_change"] == 0, "area"].tolist()
    if unchanged and len(unchanged) < len(c.by_area):
        parts.append(
            "Självkostnaden är oförändrad för "
            + ", ".join(unchanged[:-1])
            + (" och " if len(unchanged) > 1 else "")
            + unchanged[-1]
            + "."
        )
    if round(c.redistribution) == 0:
        parts.append("Ingen kostnad omfördelas mellan kunderna.")
    else:
        parts.append(
            ("Mellan kunderna" if round(c.cost_change) == 0 else "Utöver kostnadsförändringen")
            + f" omfördelas {style.format_kr(c.redistribution)}"
            + (" mellan kunderna" if round(c.cost_change) else "")
            + " (summan av ökningar och minskningar)."
        )
    top = c.by_customer_area[c.by_customer_area["difference"] != 0]
    if len(top):
        first = top.iloc[0]
        parts.append(
            f"Störst blir förändringen för {first['name']} inom {first['area']}: "
            f"{style.format_signed_kr(first['difference'])}"
            + (
                f" ({style.format_percent(first['change'], signed=True)})."
                if pd.notna(first["change"])
                else "."
            )
        )
    return " ".join(parts)


def _text_table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    cells = [header] + rows
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = []
    for i, row in enumerate(cells):
        parts = [
            cell.rjust(widths[j]) if j in right else cell.ljust(widths[j])
            for j, cell in enumerate(row)
        ]
        lines.append("  " + "  ".join(parts).rstrip())
        if i == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines


def _short(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def comparison_text(run: ScenarioRun, top: int = 15) -> str:
    """The comparison for a terminal: changes, totals per area, top changes (Swedish)."""

    def kr(value: float) -> str:
        return style.plain_spaces(style.format_kr(value))

    def signed(value: float) -> str:
        return style.plain_spaces(style.format_signed_kr(value))

    def pct(value: float) -> str:
        return style.plain_spaces(style.format_percent(value, signed=True))

    model, c = run.base_model, run.comparison
    lines = [
        f"Scenario {run.name}: {run.scenario.title}",
        f"Jämfört med basåret: prislista {model.price_list_year} i {model.data_dir}"
        + (" – EXEMPELDATA" if model.example_data else ""),
        "",
        "Ändringar mot basåret:",
    ]
    if run.changes.empty:
        lines.append("  (inga – scenariot ger basåret)")
    else:
        lines += _text_table(
            ["Ändring", "Vad", "Basår", "Scenario"],
            [[style.plain_spaces(str(v)) for v in row] for row in run.changes.to_numpy()],
            {2, 3},
        )
    lines += ["", "Per tjänsteområde (summan av kundernas priser = självkostnaden):"]
    table = area_table(c)
    lines += _text_table(
        ["Tjänsteområde", "Basår", "Scenario", "Kostnadsförändring", "%", "Omfördelning"],
        [
            [
                str(r.area),
                kr(r.base),
                kr(r.scenario),
                signed(r.cost_change),
                pct(r.change),
                kr(r.redistribution),
            ]
            for r in table.itertuples()
        ],
        {1, 2, 3, 4, 5},
    )
    lines += [
        "",
        f"Kostnadsförändring: {signed(c.cost_change)} (ändrad självkostnad).",
        f"Omfördelning mellan kunder: {kr(c.redistribution)}. {REDISTRIBUTION_NOTE}",
        "",
    ]
    changed = top_changes(c, len(c.by_customer_area))
    shown = changed.head(top)
    if shown.empty:
        lines.append("Ingen kund får ändrat pris.")
    else:
        lines.append(
            f"Största förändringar per kund och tjänsteområde ({len(shown)} av {len(changed)}):"
        )
        lines += _text_table(
            ["Kund", "Tjänsteområde", "Basår", "Scenario", "Förändring", "%"],
            [
                [
                    _short(r.name, 42),
                    str(r.area),
                    kr(r.base),
                    kr(r.scenario),
                    signed(r.difference),
                    pct(r.change),
                ]
                for r in shown.itertuples()
            ],
            {2, 3, 4, 5},
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- xlsx


def output_file_problem(data_dir: Path | str, out: Path | str) -> str | None:
    """Why ``out`` cannot take the comparison workbook (Swedish), or None."""
    from .output_folder import output_file_problem as problem

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        return f"{out.name} är ingen Excelfil. Ange en fil som slutar på .xlsx med --out."
    found = problem(out, Path(data_dir))
    return None if found is None else str(found)


# Numbers in the changes sheet keep their unit: a weight is a percentage, a standard kronor.
_CHANGE_XLSX_FORMATS = {
    "share": "0.0##%",  # as many decimals as the weight has, like the text
    "kr": style.XLSX_KRONOR,
    "fte": "#,##0.0",
    "fte2": style.XLSX_DECIMALS,
    "volume": style.XLSX_NUMBER,
}


def write_comparison_workbook(
    run: ScenarioRun, path: Path | str, data_dir: Path | str | None = None
) -> Path:
    """The comparison as an Excel file, written atomically (temp file + rename); never over a
    file this tool did not write."""
    from .output_folder import output_file
    from .workbook import Book, Col, write_sheet

    path = Path(path)
    c, model = run.comparison, run.base_model
    subtitle = f"Scenario {run.name} jämfört med basåret, prislista {model.price_list_year}." + (
        f" {style.XLSX_EXAMPLE_DATA}" if model.example_data else ""
    )
    kr = style.XLSX_KRONOR
    table = area_table(c)
    customer_area_cols = [
        Col("Kund-id", "customer_id", width=26),
        Col("Kund", "name", width=40),
        Col("Tjänsteområde", "area", width=22),
        Col("Basår", "base", kr, 16),
        Col("Scenario", "scenario", kr, 16),
        Col("Förändring", "difference", kr, 16),
        Col("Förändring %", "change", style.XLSX_PERCENT, 13, ratio=("difference", "base")),
        Col("Varav omfördelning", "redistribution", style.XLSX_KRONOR_DECIMALS, 18),
    ]
    totals = {
        "name": "Summa",
        "base": c.base_total,
        "scenario": c.scenario_total,
        "difference": c.cost_change,
        "change": c.cost_change / c.base_total if c.base_total else None,
    }
    footer = f"Scenario {run.name} – prislista {model.price_list_year}"
    with output_file(path, data_dir) as temporary, Book(temporary, footer) as book:
        write_sheet(
            book,
            "Per tjänsteområde",
            f"Scenario: {run.scenario.title}",
            subtitle,
            [
                Col("Tjänsteområde", "area", width=24),
                Col("Självkostnad basår", "base", kr, 18),
                Col("Självkostnad scenario", "scenario", kr, 18),
                Col("Kostnadsförändring", "cost_change", kr, 18),
                Col(
                    "Förändring %", "change", style.XLSX_PERCENT, 13,
                    ratio=("cost_change", "base"),
                ),
                Col("Omfördelning mellan kunder", "redistribution", kr, 20),
            ],
            table.iloc[:-1],
            {k: v for k, v in table.iloc[-1].items() if k != "service_area"},
            note=REDISTRIBUTION_NOTE,
        )
        write_sheet(
            book,
            "Per kund och område",
            "Förändring per kund och tjänsteområde, största först",
            subtitle,
            customer_area_cols,
            c.by_customer_area,
            totals,
        )
        write_sheet(
            book,
            "Per kund",
            "Förändring per kund, alla tjänsteområden, största först",
            subtitle,
            [col for col in customer_area_cols if col.field not in ("area", "redistribution")],
            c.by_customer,
            totals,
        )
        changes = scenario_change_values(run.base_model, run.scenario)
        changes["format"] = changes["unit"].map(_CHANGE_XLSX_FORMATS)
        write_sheet(
            book,
            "Ändringar",
            "Vad scenariot ändrar i basåret",
            subtitle,
            [
                Col(CHANGE_HEADERS["kind"], "kind", width=34),
                Col(CHANGE_HEADERS["item"], "item", width=60),
                Col(CHANGE_HEADERS["base"], "base", style.XLSX_DECIMALS, 18, format_field="format"),
                Col(
                    CHANGE_HEADERS["scenario"], "scenario", style.XLSX_DECIMALS, 18,
                    format_field="format",
                ),
                Col("Faktor", "factor", "0.00", 10),
            ],
            changes,
        )
    return path
