"""Generate source-system extracts for ``prismodell volumes``.

    uv run python scripts/generate_extracts.py example data/2024
        Writes data/2024/extracts/, extracts.yml and org_mapping.csv so that
        ``prismodell volumes data/2024`` reproduces data/2024/volumes.csv (monthly aggregates
        for most keys, row-level reminders and BER families, plus a few deliberate flaws the
        quality report finds: rows outside the period, an unknown organisation code, a
        repeated reminder number, a row without organisation code).

    uv run python scripts/generate_extracts.py benchmark OUT [--scale 1.07]
        A data folder OUT with row-level extracts at the source's real sizes (about 1.1 M
        supplier invoices, 11 000 reminders, 680 000 fee invoices and 90 000 contracts a
        year, times --scale) and the example's monthly aggregates for the other keys.

Deterministic (fixed seed). Illustrative data only.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SEED = 2024
AGRESSO, LOIS, BER = "Agresso", "LOIS", "BER"
KEYS = (
    "antal_fakturor",
    "felaktiga_fakturor",
    "antal_krav",
    "antal_kundfakturor",
    "antal_aterbetalningar",
    "oidentifierade_poster_9894",
    "huvudbokstransaktioner",
    "aktiva_avtal",
    "vakanta_avtal",
    "skapade_avtal",
    "totalt_antal_familjer",
    "familjer_med_maxtaxa",
)
UNKNOWN_CODE = "9990"  # an Agresso code that org_mapping.csv does not know (a quality finding)


def months(start: str, end: str) -> list[str]:
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def org_codes(customers: list[str], volumes: pd.DataFrame) -> pd.DataFrame:
    """source, org_code, customer_id: 1–3 codes per customer and system."""
    rows = []
    big = set(volumes.loc[volumes["key_id"] == "aktiva_avtal", "customer_id"])
    for i, customer in enumerate(customers):
        n = 3 if customer.startswith("sdf_") else (2 if customer in big else 1)
        for j in range(n):
            rows.append((AGRESSO, f"{1100 + 10 * i + j}", customer))
        if customer in big:
            for j in range(min(n, 2)):
                rows.append((LOIS, f"LO{i:02d}{'AB'[j]}", customer))
        if customer.startswith("sdf_") or customer == "utbildningsforvaltningen":
            for j in range(min(n, 2)):
                rows.append((BER, f"{5000 + 10 * i + j}", customer))
    return pd.DataFrame(rows, columns=["source", "org_code", "customer_id"])


def split(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` as ``parts`` non-negative integers that sum to it exactly."""
    weights = rng.uniform(0.6, 1.4, parts)
    return rng.multinomial(int(total), weights / weights.sum())


def monthly(
    volumes: pd.DataFrame,
    codes: pd.DataFrame,
    source: str,
    keys: dict[str, str],
    period: list[str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per month and organisation code with one column per key (its count)."""
    wide = volumes[volumes["key_id"].isin(keys)].pivot(
        index="customer_id", columns="key_id", values="volume"
    )
    frames = []
    for customer, row in wide.iterrows():
        own = codes.loc[(codes["source"] == source) & (codes["customer_id"] == customer)]
        cells = [(m, c) for m in period for c in own["org_code"]]
        frame = pd.DataFrame(cells, columns=["month", "org_code"])
        for key, column in keys.items():
            value = row.get(key)
            frame[column] = split(0 if pd.isna(value) else value, len(cells), rng)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).sort_values(["month", "org_code"], kind="stable")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("COPY frame TO ? (FORMAT parquet)", [str(path)])
    con.close()


def _days(month: str, n: int, rng: np.random.Generator) -> list[str]:
    days = rng.integers(1, 29, n)
    return [f"{month}-{d:02d}" for d in days]


def reminders(volumes, codes, period, rng) -> pd.DataFrame:
    """Row-level Agresso reminders: one row per reminder (Kravnr)."""
    rows = []
    number = 700000
    for customer, total in (
        volumes.loc[volumes["key_id"] == "antal_krav"].set_index("customer_id")["volume"].items()
    ):
        own = codes.loc[(codes["source"] == AGRESSO) & (codes["customer_id"] == customer)]
        for code, count in zip(own["org_code"], split(total, len(own), rng), strict=True):
            for month, n in zip(period, split(count, len(period), rng), strict=True):
                kinds = np.where(rng.random(n) < 0.8, "Påminnelse", "Inkasso")
                for day, kind in zip(_days(month, n, rng), kinds, strict=True):
                    number += 1
                    rows.append((f"K{number}", code, day, kind))
    frame = pd.DataFrame(rows, columns=["Kravnr", "Ansvar", "Kravdatum", "Kravtyp"])
    extra = frame.sample(6, random_state=1).assign(Kravtyp="Inkasso")  # exported twice
    voided = frame.sample(25, random_state=2).assign(
        Kravnr=[f"M{i}" for i in range(25)], Kravtyp="Makulerad"
    )
    late = frame.sample(15, random_state=3).assign(
        Kravnr=[f"S{i}" for i in range(15)], Kravdatum="2023-07-03"
    )
    blank = frame.sample(2, random_state=4).assign(Kravnr=["B1", "B2"], Ansvar="")
    frame = pd.concat([frame, extra, voided, late, blank], ignore_index=True)
    return frame.sort_values("Kravdatum", kind="stable")


def families(volumes, codes, period, rng) -> pd.DataFrame:
    """Row-level BER: a family appears in one to three months of the (BER) period."""
    wide = volumes[volumes["key_id"].isin(["totalt_antal_familjer", "familjer_med_maxtaxa"])]
    wide = wide.pivot(index="customer_id", columns="key_id", values="volume").fillna(0)
    ids, units, maxtaxa = [], [], []
    number = 100000
    for customer, row in wide.iterrows():
        own = codes.loc[(codes["source"] == BER) & (codes["customer_id"] == customer)]
        total, capped = int(row["totalt_antal_familjer"]), int(row["familjer_med_maxtaxa"])
        flags = np.array(["J"] * capped + ["N"] * (total - capped))
        rng.shuffle(flags)
        unit = rng.choice(own["org_code"].to_numpy(), total)
        ids += [f"F{number + i}" for i in range(total)]
        number += total
        units += list(unit)
        maxtaxa += list(flags)
    base = pd.DataFrame({"familj_id": ids, "enhet": units, "maxtaxa": maxtaxa})
    repeats = rng.integers(1, 4, len(base))
    frame = base.loc[base.index.repeat(repeats)].reset_index(drop=True)
    frame["manad"] = rng.choice(period, len(frame))
    frame = frame.drop_duplicates(["familj_id", "manad"])
    before = base.sample(40, random_state=5).assign(manad="2022-07")  # before BER's period
    frame = pd.concat([frame, before], ignore_index=True)
    return frame.sort_values(["manad", "familj_id"], kind="stable")[
        ["familj_id", "enhet", "manad", "maxtaxa"]
    ]


CONFIG = """\
# Hur årets volymer räknas fram ur källsystemens uttag i extracts/ (prismodell volumes).
# ILLUSTRATIVE EXAMPLE DATA: the extracts are generated by scripts/generate_extracts.py.
# Each extract: source (as in org_mapping.csv), files (under extracts/), org_column,
# date_column (ÅÅÅÅ-MM, ÅÅÅÅMM or ÅÅÅÅ-MM-DD), optional transaction_id, encoding, period
# (default model.yml's volume_period) and filters (equals / one_of / not_one_of).
# Each key: extract, count (rows | {distinct: COLUMN} | {sum: COLUMN}), optional filters.
extracts:
  leverantorsreskontra:
    source: Agresso
    files: agresso_leverantorsreskontra.csv      # monthly counts, Swedish semicolon CSV
    org_column: Ansvar
    date_column: Period
  krav:
    source: Agresso
    files: agresso_krav.csv                      # one row per reminder
    org_column: Ansvar
    date_column: Kravdatum
    transaction_id: Kravnr
    filters:
      - {column: Kravtyp, not_one_of: [Makulerad]}
  kundreskontra:
    source: Agresso
    files: agresso_kundreskontra.xlsx
    org_column: Ansvar
    date_column: Månad
  huvudbok:
    source: Agresso
    files: agresso_huvudbok.csv
    org_column: ansvar
    date_column: ar_manad
  avtal:
    source: LOIS
    files: lois/avtal_*.parquet                  # one file per calendar year
    org_column: Enhet
    date_column: Period
  familjer:
    source: BER
    files: ber_familjer.parquet                  # one row per family and month
    org_column: enhet
    date_column: manad
    period: {start: 2022-08, end: 2023-07}       # BER's statistics run August to July
keys:
  antal_fakturor: {extract: leverantorsreskontra, count: {sum: Antal fakturor}}
  felaktiga_fakturor: {extract: leverantorsreskontra, count: {sum: Felaktiga fakturor}}
  antal_krav: {extract: krav, count: {distinct: Kravnr}}
  antal_kundfakturor: {extract: kundreskontra, count: {sum: Kundfakturor}}
  antal_aterbetalningar: {extract: kundreskontra, count: {sum: Återbetalningar}}
  oidentifierade_poster_9894:
    extract: huvudbok
    count: {sum: antal}
    filters: [{column: konto, equals: 9894}]
  huvudbokstransaktioner:
    extract: huvudbok
    count: {sum: antal}
    filters: [{column: konto, not_one_of: [9894]}]
  aktiva_avtal: {extract: avtal, count: {sum: Antal}, filters: [{column: Status, equals: Aktivt}]}
  vakanta_avtal: {extract: avtal, count: {sum: Antal}, filters: [{column: Status, equals: Vakant}]}
  skapade_avtal: {extract: avtal, count: {sum: Antal}, filters: [{column: Status, equals: Skapat}]}
  totalt_antal_familjer: {extract: familjer, count: {distinct: familj_id}}
  familjer_med_maxtaxa:
    extract: familjer
    count: {distinct: familj_id}
    filters: [{column: maxtaxa, equals: J}]
"""


def _grouped(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def example(data_dir: Path) -> None:
    # It replaces extracts/, extracts.yml and org_mapping.csv: only ever in example data.
    if "example_data: true" not in (data_dir / "model.yml").read_text(encoding="utf-8"):
        raise SystemExit(f"{data_dir} är inte exempeldata (example_data: true): inget skrevs.")
    rng = np.random.default_rng(SEED)
    volumes = pd.read_csv(data_dir / "volumes.csv", dtype={"customer_id": str, "key_id": str})
    missing = sorted(set(KEYS) - set(volumes["key_id"]))
    if missing:  # extracts.yml below names the 2024 model's keys
        raise SystemExit(f"{data_dir}/volumes.csv saknar nycklarna {missing}: inget skrevs.")
    customers = list(dict.fromkeys(volumes["customer_id"]))
    codes = org_codes(customers, volumes)
    period = months("2022-07", "2023-06")
    folder = data_dir / "extracts"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()

    lev = monthly(
        volumes,
        codes,
        AGRESSO,
        {"antal_fakturor": "Antal fakturor", "felaktiga_fakturor": "Felaktiga fakturor"},
        period,
        rng,
    )
    noise = pd.DataFrame(
        [("2023-07", "1100", 1630, 81), ("2022-11", UNKNOWN_CODE, 212, 9)],
        columns=lev.columns,
    )
    lev = pd.concat([lev, noise], ignore_index=True)
    out = lev.rename(columns={"month": "Period", "org_code": "Ansvar"})
    for column in ("Antal fakturor", "Felaktiga fakturor"):
        out[column] = out[column].map(_grouped)
    out.to_csv(folder / "agresso_leverantorsreskontra.csv", sep=";", index=False)

    reminders(volumes, codes, period, rng).to_csv(folder / "agresso_krav.csv", index=False)

    kund = monthly(
        volumes,
        codes,
        AGRESSO,
        {"antal_kundfakturor": "Kundfakturor", "antal_aterbetalningar": "Återbetalningar"},
        period,
        rng,
    ).rename(columns={"month": "Månad", "org_code": "Ansvar"})
    kund["Ansvar"] = kund["Ansvar"].astype(int)  # Excel stores the codes as numbers
    kund.to_excel(folder / "agresso_kundreskontra.xlsx", index=False)

    ledger = monthly(
        volumes,
        codes,
        AGRESSO,
        {"oidentifierade_poster_9894": "9894", "huvudbokstransaktioner": "övriga"},
        period,
        rng,
    )
    ledger = ledger.melt(["month", "org_code"], var_name="konto", value_name="antal")
    ledger["ar_manad"] = ledger["month"].str.replace("-", "")
    ledger = ledger.rename(columns={"org_code": "ansvar"})[["ar_manad", "ansvar", "konto", "antal"]]
    ledger.sort_values(["ar_manad", "ansvar"], kind="stable").to_csv(
        folder / "agresso_huvudbok.csv", index=False
    )

    contracts = monthly(
        volumes,
        codes,
        LOIS,
        {"aktiva_avtal": "Aktivt", "vakanta_avtal": "Vakant", "skapade_avtal": "Skapat"},
        period,
        rng,
    ).melt(["month", "org_code"], var_name="Status", value_name="Antal")
    contracts["Period"] = pd.to_datetime(contracts["month"]).dt.date
    contracts = contracts.rename(columns={"org_code": "Enhet"})[
        ["Period", "Enhet", "Status", "Antal"]
    ]
    year = pd.to_datetime(contracts["Period"]).dt.year
    for value in sorted(year.unique()):
        write_parquet(
            contracts[year == value].reset_index(drop=True),
            folder / "lois" / f"avtal_{value}.parquet",
        )

    ber = families(volumes, codes, months("2022-08", "2023-07"), rng)
    write_parquet(ber.reset_index(drop=True), folder / "ber_familjer.parquet")

    codes.to_csv(data_dir / "org_mapping.csv", index=False)
    (data_dir / "extracts.yml").write_text(CONFIG, encoding="utf-8")


def benchmark(out: Path, scale: float, example_dir: Path) -> None:
    """A data folder with row-level extracts at the source's real sizes."""
    rng = np.random.default_rng(SEED)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(example_dir, out, ignore=shutil.ignore_patterns("rapport", "scenarios"))
    folder = out / "extracts"
    codes = pd.read_csv(out / "org_mapping.csv", dtype=str)
    period = pd.date_range("2022-07-01", "2023-06-30").strftime("%Y-%m-%d").to_numpy()

    def pick(source: str, n: int) -> np.ndarray:
        own = codes.loc[codes["source"] == source, "org_code"].to_numpy()
        return rng.choice(own, n)

    n = int(1_100_000 * scale)
    pd.DataFrame(
        {
            "Fakturanr": np.char.add("L", np.arange(n).astype(str)),
            "Ansvar": pick(AGRESSO, n),
            "Fakturadatum": rng.choice(period, n),
            "Felaktig": np.where(rng.random(n) < 0.04, "J", "N"),
        }
    ).to_csv(folder / "agresso_leverantorsfakturor.csv", sep=";", index=False)
    n = int(11_000 * scale)
    pd.DataFrame(
        {
            "Kravnr": np.char.add("K", np.arange(n).astype(str)),
            "Ansvar": pick(AGRESSO, n),
            "Kravdatum": rng.choice(period, n),
            "Kravtyp": np.where(rng.random(n) < 0.8, "Påminnelse", "Inkasso"),
        }
    ).to_csv(folder / "agresso_krav.csv", index=False)
    n = int(680_000 * scale)
    family = rng.integers(0, 62_000, n)
    write_parquet(
        pd.DataFrame(
            {
                "fakturanr": np.arange(n),
                "familj_id": np.char.add("F", family.astype(str)),
                "enhet": pick(BER, n),
                "manad": rng.choice(period, n).astype("<U7"),
                "maxtaxa": np.where(family % 4 == 0, "N", "J"),
            }
        ),
        folder / "ber_familjer.parquet",
    )
    n = int(90_000 * scale)
    shutil.rmtree(folder / "lois")
    write_parquet(
        pd.DataFrame(
            {
                "Avtalsnr": np.arange(n),
                "Enhet": pick(LOIS, n),
                "Period": rng.choice(period, n),
                "Status": rng.choice(["Aktivt", "Vakant", "Skapat"], n, p=[0.94, 0.035, 0.025]),
            }
        ),
        folder / "lois" / "avtal.parquet",
    )
    config = CONFIG.replace(
        "  leverantorsreskontra:\n    source: Agresso\n"
        "    files: agresso_leverantorsreskontra.csv      # monthly counts, Swedish semicolon CSV\n"
        "    org_column: Ansvar\n    date_column: Period\n",
        "  leverantorsreskontra:\n    source: Agresso\n"
        "    files: agresso_leverantorsfakturor.csv\n    org_column: Ansvar\n"
        "    date_column: Fakturadatum\n    transaction_id: Fakturanr\n",
    )
    config = config.replace(
        "{extract: leverantorsreskontra, count: {sum: Antal fakturor}}",
        "{extract: leverantorsreskontra, count: {distinct: Fakturanr}}",
    ).replace(
        "{extract: leverantorsreskontra, count: {sum: Felaktiga fakturor}}",
        "{extract: leverantorsreskontra, count: rows, filters: [{column: Felaktig, equals: J}]}",
    )
    for status in ("Aktivt", "Vakant", "Skapat"):
        config = config.replace(
            f"count: {{sum: Antal}}, filters: [{{column: Status, equals: {status}}}]",
            f"count: rows, filters: [{{column: Status, equals: {status}}}]",
        )
    config = config.replace("lois/avtal_*.parquet", "lois/avtal.parquet")
    (out / "extracts.yml").write_text(config, encoding="utf-8")
    (folder / "agresso_leverantorsreskontra.csv").unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ex = commands.add_parser("example")
    ex.add_argument("data_dir", type=Path)
    bench = commands.add_parser("benchmark")
    bench.add_argument("out", type=Path)
    bench.add_argument("--scale", type=float, default=1.0)
    bench.add_argument("--from", dest="source", type=Path, default=Path("data/2024"))
    args = parser.parse_args()
    if args.command == "example":
        example(args.data_dir)
    else:
        benchmark(args.out, args.scale, args.source)


if __name__ == "__main__":
    main()
