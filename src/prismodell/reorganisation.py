"""Reorganisations: administrations that merge or split during a volume period.

The optional table ``customer_mapping`` (``from_customer_id,to_customer_id,share``) moves the
volumes and the previous charges of an old customer id to one or more new ids before the
allocation. Each old id hands on all it has: its shares sum to 1. Example: on 2023-07-01
Rinkeby-Kista and Spånga-Tensta became Järva, Norrmalm and Östermalm became Norra
innerstaden, so the volumes recorded under the four old ids move to the two new ones.

Every function is pure (DataFrames in, DataFrames out); :mod:`prismodell.inputs` validates the
table with :func:`mapping_problems` and applies it at the end of ``load_input``, so a loaded
model's volumes and previous charges are already on today's ids.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .inputs import WEIGHT_TOLERANCE, Problem, duplicate_problems

MAPPING_TABLE = "customer_mapping"
MAPPING_COLUMNS = ["from_customer_id", "to_customer_id", "share"]
SHARE_TOLERANCE = WEIGHT_TOLERANCE  # the shares of one old id sum to 1 within this


# --------------------------------------------------------------------------- validation


def _rows(rows: Iterable[int]) -> str:
    rows = list(rows)
    return ("rad " if len(rows) == 1 else "raderna ") + ", ".join(str(r) for r in rows)


def _share_text(value: float) -> str:
    return f"{value:.6g}".replace(".", ",")


def mapping_problems(
    mapping: pd.DataFrame,
    file_name: str,
    customer_ids: Iterable[str] | None,
    customers_file: str,
    used_ids: Iterable[str],
    used_files: Iterable[str],
) -> list[Problem]:
    """Every problem of a customer mapping, with file, row (Excel numbering) and column.

    ``mapping`` is the typed table as read (index = Excel row). ``customer_ids`` are the ids of
    customers.csv (None when that file could not be read), ``used_ids`` the customer ids found
    in the volumes and the previous charges (``used_files`` names those files).
    """
    problems: list[Problem] = []
    used_files = list(used_files) or ["volumes.csv"]
    used_where = (
        f"varken i {used_files[0]} eller i {used_files[1]}"
        if len(used_files) > 1
        else f"inte i {used_files[0]}"
    )
    problems += duplicate_problems(mapping, ["from_customer_id", "to_customer_id"], file_name)

    share = mapping["share"]
    for row, value in share.items():
        if value == 0:
            problems.append(
                Problem(
                    file_name,
                    "andelen är 0, så raden flyttar ingenting. Ange en andel större än 0 "
                    "(t.ex. 0.4 för 40 %) eller ta bort raden.",
                    row,
                    "share",
                )
            )
        elif value > 1:
            problems.append(
                Problem(
                    file_name,
                    f"andelen {_share_text(value)} är större än 1. Ange andelen som ett tal "
                    "större än 0 och högst 1, t.ex. 0.4 för 40 %.",
                    row,
                    "share",
                )
            )

    sources = mapping[mapping["from_customer_id"] != ""]
    used = set(used_ids)
    for old_id, group in sources.groupby("from_customer_id", sort=False):
        values = group["share"]
        valid = values.notna().all() and ((values > 0) & (values <= 1)).all()
        total = float(values.sum())
        if valid and abs(total - 1.0) > SHARE_TOLERANCE:
            problems.append(
                Problem(
                    file_name,
                    f"andelarna för {old_id!r} ({_rows(group.index)}) summerar till "
                    f"{_share_text(total)}, inte 1. Allt som den gamla kunden har ska flyttas: "
                    "justera andelarna så att de blir 1 (100 %) tillsammans.",
                    group.index[0],
                    "share",
                )
            )
        if old_id not in used:
            problems.append(
                Problem(
                    file_name,
                    f"kunden {old_id!r} används inte: den finns {used_where}. "
                    "Rätta id:t eller ta bort raden.",
                    group.index[0],
                    "from_customer_id",
                )
            )

    firsts = sources.drop_duplicates("from_customer_id")
    mapped = dict(zip(firsts["from_customer_id"], firsts.index, strict=True))
    known = list(customer_ids) if customer_ids is not None else None
    for row, target in mapping["to_customer_id"].items():
        if target == "":
            continue
        if target == mapping.at[row, "from_customer_id"]:
            problems.append(
                Problem(
                    file_name,
                    f"kunden {target!r} flyttas till sig själv. Ange den nya kundens id.",
                    row,
                    "to_customer_id",
                )
            )
            continue
        if target in mapped:
            problems.append(
                Problem(
                    file_name,
                    f"kunden {target!r} flyttas själv vidare (rad {mapped[target]}). Kedjor är "
                    "inte tillåtna: flytta direkt till den slutliga kunden.",
                    row,
                    "to_customer_id",
                )
            )
        if known is not None and target not in known:
            import difflib

            hint = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
            fix = f"Menade du {hint[0]!r}?" if hint else "Lägg till den nya kunden där."
            problems.append(
                Problem(
                    file_name,
                    f"den nya kunden {target!r} finns inte i {customers_file}. {fix}",
                    row,
                    "to_customer_id",
                )
            )
    return problems


def mapped_away(mapping: pd.DataFrame | None) -> list[str]:
    """The old ids that a mapping moves away (they need not be in customers.csv)."""
    if mapping is None:
        return []
    ids = mapping["from_customer_id"]
    return list(dict.fromkeys(ids[ids != ""]))


# --------------------------------------------------------------------------- applying


def _move(table: pd.DataFrame, mapping: pd.DataFrame, value: str, by: str) -> pd.DataFrame:
    """Move ``value`` of the mapped customers to their new ids, then sum per (customer, by).

    The last target of an old row takes what the others left, so the row's total is kept
    exactly (no krona or invoice is lost to floating-point rounding). Rows keep their order;
    a merged customer's rows appear where its first row was.
    """
    columns = list(table.columns)
    if mapping is None or mapping.empty or table.empty:
        return table.reset_index(drop=True)
    frame = table.reset_index(drop=True).assign(_row=np.arange(len(table)))
    moves = mapping[MAPPING_COLUMNS].rename(columns={"from_customer_id": "customer_id"})
    merged = frame.merge(moves, on="customer_id", how="left", sort=False)
    moved = merged["to_customer_id"].notna()
    amount = merged[value] * merged["share"].where(moved, 1.0)
    last = ~merged["_row"].duplicated(keep="last")
    before = amount.groupby(merged["_row"]).shift(fill_value=0.0)
    others = before.groupby(merged["_row"]).cumsum()  # the sum of the parts before this one
    amount = amount.where(~(moved & last), merged[value] - others)
    merged["customer_id"] = merged["to_customer_id"].where(moved, merged["customer_id"])
    merged[value] = amount.astype(float)
    result = merged.groupby(["customer_id", by], sort=False, as_index=False)[value].sum()
    return result[columns]


def apply_mapping(volumes: pd.DataFrame, mapping: pd.DataFrame | None) -> pd.DataFrame:
    """Volumes (customer_id, key_id, volume) on the new ids: the total of every key is kept."""
    return _move(volumes, mapping, "volume", "key_id")


def apply_mapping_to_charges(
    previous: pd.DataFrame | None, mapping: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Previous charges (customer_id, service_area, amount) on the new ids, totals kept."""
    if previous is None:
        return None
    return _move(previous, mapping, "amount", "service_area")


# --------------------------------------------------------------------------- report

MAPPING_HEADERS = {
    "from_customer": "Tidigare kund",
    "to_customer": "Ny kund",
    "share": "Andel",
}
MAPPING_FORMATS = {"share": "weight"}


def mapping_table(
    mapping: pd.DataFrame | None, customer_names: dict[str, str] | None = None
) -> pd.DataFrame | None:
    """The applied mapping for display: old customer, new customer (by name where known), share.

    Old ids are usually gone from customers.csv, so they show as their id.
    """
    if mapping is None or mapping.empty:
        return None
    names = customer_names or {}
    return pd.DataFrame(
        {
            "from_customer": [names.get(c, c) for c in mapping["from_customer_id"]],
            "to_customer": [names.get(c, c) for c in mapping["to_customer_id"]],
            "share": mapping["share"].to_numpy(dtype=float),
        }
    )


def mapping_section(model) -> list[str]:
    """Markdown lines of the reproducibility page listing the applied mapping (none: empty)."""
    from .style import md_escape, table_html

    names = dict(zip(model.customers["customer_id"], model.customers["name"], strict=True))
    table = mapping_table(model.customer_mapping, names)
    if table is None:
        return []
    files = model.files.get(MAPPING_TABLE)
    return [
        "## Omorganisationer",
        "",
        md_escape(
            f"Volymer och föregående års debiteringar för förvaltningar som har slagits ihop "
            f"eller delats flyttades till dagens kunder enligt "
            f"{files.name if files else 'customer_mapping.csv'} innan fördelningen. Andelen "
            "anger hur stor del av den tidigare kundens volymer och debiteringar som flyttades."
        ),
        "",
        "```{raw} html",
        table_html(table, MAPPING_FORMATS, MAPPING_HEADERS),
        "```",
        "",
    ]
