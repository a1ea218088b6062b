"""Command line: ``prismodell calculate`` and ``prismodell build``. Thin: parse, call, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_INPUT = 2  # bad input: the analyst has something to fix
EXIT_FAILURE = 1  # the machine could not do it (disk, tools)


def _print_problems(problems) -> None:
    print(f"Indata har {len(problems)} fel – inget har skrivits:", file=sys.stderr)
    for problem in problems:
        print(f"  • {problem}", file=sys.stderr)


def _same_folder(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def cmd_calculate(args: argparse.Namespace) -> int:
    from . import style
    from .calculation import calculate
    from .export import write_outputs
    from .inputs import load_input
    from .workbook import write_workbook

    if _same_folder(args.data_dir, args.out):
        print(
            "Fel: utdatamappen får inte vara samma som datamappen (indata ska aldrig skrivas "
            "över). Ange en annan mapp med --out.",
            file=sys.stderr,
        )
        return EXIT_INPUT
    model = load_input(args.data_dir)
    result = calculate(model)
    written = write_outputs(model, result, args.out, write_workbook)

    names = model.service_areas.set_index("service_area")["name"]
    print(
        f"Prislista {model.price_list_year} (volymperiod {model.volume_period[0]} – "
        f"{model.volume_period[1]})" + (" – EXEMPELDATA" if model.example_data else "")
    )
    print("Självkostnad per tjänsteområde:")
    width = max(len(n) for n in names) + 2

    def kr(value: float) -> str:
        return style.plain_spaces(style.format_kr(value))

    def pct(value: float) -> str:
        return style.plain_spaces(style.format_percent(value, signed=True))

    for row in result.full_cost.itertuples():
        print(f"  {names[row.service_area]:<{width}}{kr(row.full_cost):>18}")
    print(f"  {'Totalt':<{width}}{kr(result.total_full_cost):>18}")
    customers = result.price_list["customer_id"].nunique()
    print(f"Kunder med debitering: {customers}")
    if result.comparison is not None:
        c = result.comparison
        print(
            "Jämfört med förra året: "
            f"{pct(c.change_excluding)} exklusive, {pct(c.change_including)} inklusive "
            "förändrade uppdrag"
        )
    print(f"Skrev {len(written)} filer till {args.out}:")
    for path in written:
        print(f"  {path.name}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import build

    return build(args.data, args.out, force=args.force, pdf=not args.no_pdf)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="prismodell",
        description="Prismodell för Serviceförvaltningen, verksamhetsområde Ekonomi: självkostnad, "
        "fördelning och prislista, och årsrapporten som bok i HTML och PDF.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    calc = commands.add_parser(
        "calculate", help="beräkna självkostnad och prislista för en datamapp"
    )
    calc.add_argument("data_dir", type=Path, metavar="DATAMAPP", help="t.ex. data/2023")
    calc.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="UTMAPP",
        help="mapp för CSV-filerna och prislista.xlsx",
    )
    calc.set_defaults(func=cmd_calculate)

    book = commands.add_parser("build", help="bygg årsrapporten (HTML och PDF)")
    book.add_argument("--data", type=Path, default=Path("data/2023"), metavar="DATAMAPP")
    book.add_argument("--out", type=Path, default=Path("_build"), metavar="BYGGMAPP")
    book.add_argument("--force", action="store_true", help="kör om alla notebooks")
    book.add_argument("--no-pdf", action="store_true", help="bygg bara HTML")
    book.set_defaults(func=cmd_build)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from .inputs import InputError

    try:
        return args.func(args)
    except InputError as error:
        _print_problems(error.problems)
        return EXIT_INPUT
    except OSError as error:
        print(
            f"Fel: kunde inte skriva eller läsa {error.filename or ''}: {error.strerror or error}. "
            "Kontrollera sökvägen och behörigheterna.",
            file=sys.stderr,
        )
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
