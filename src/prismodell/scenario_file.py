"""A what-if scenario file: reading and checking ``DATA_DIR/scenarios/NAME.yml`` and applying
it to the base year's input.

A scenario overrides parts of the base year (every field optional)::

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
calculation runs on. :mod:`prismodell.scenario_comparison` compares the result with the base
year's and :mod:`prismodell.scenario_views` shows the comparison.
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

from .inputs import (
    INTERNAL_OVERHEAD,
    MAX_AMOUNT,
    MAX_FTE,
    WEIGHT_TOLERANCE,
    InputError,
    PriceModelInput,
    Problem,
    dedicated_over_staffing,
)
from .narrative import MISSING, YamlFields, read_yaml
from .problems import SLUG, known_value_hint

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
    if not SLUG.match(name):
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
