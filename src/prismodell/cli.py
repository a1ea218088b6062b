"""Command line: ``prismodell calculate``, ``compare``, ``build``, ``invoices`` and ``new-year``.
Thin: parse, call, report."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

EXIT_INPUT = 2  # bad input: the analyst has something to fix
EXIT_FAILURE = 1  # the machine could not do it (disk, tools)


def _print_problems(problems) -> None:
    print(f"Indata har {len(problems)} fel – inget har skrivits:", file=sys.stderr)
    for problem in problems:
        print(f"  • {problem}", file=sys.stderr)


def _print_notices(model) -> None:
    from .notices import all_notices, notice_lines

    for line in notice_lines(all_notices(model, report=False)):
        print(line, file=sys.stderr)


def cmd_calculate(args: argparse.Namespace) -> int:
    from . import style
    from .calculation import calculate
    from .export import write_outputs
    from .inputs import load_input
    from .narrative_views import totals_change_text
    from .output_folder import check_output_folder
    from .workbook import write_workbook

    model = load_input(args.data_dir)  # the input's problems first: they are the usual ones
    check_output_folder(args.out, args.data_dir)  # before calculating
    _print_notices(model)
    writer, scenario = write_workbook, None
    if args.scenario:
        from functools import partial

        from .scenario_file import apply_scenario, load_scenario

        scenario = load_scenario(args.data_dir, args.scenario, model)
        model = apply_scenario(model, scenario)
        writer = partial(write_workbook, label=f"SCENARIO {scenario.name}: {scenario.title}")
    result = calculate(model)
    written = write_outputs(model, result, args.out, writer, data_dir=args.data_dir)

    names = model.service_areas.set_index("service_area")["name"]
    print(
        f"Prislista {model.price_list_year} (volymperiod {model.volume_period[0]} – "
        f"{model.volume_period[1]})" + (" – EXEMPELDATA" if model.example_data else "")
    )
    if scenario is not None:
        print(f"Scenario {scenario.name}: {scenario.title} (inte basårets prislista)")
    print("Självkostnad per tjänsteområde:")
    width = max(len(n) for n in names) + 2

    def kr(value: float) -> str:
        return style.plain_spaces(style.format_kr(value))

    for row in result.full_cost.itertuples():
        print(f"  {names[row.service_area]:<{width}}{kr(row.full_cost):>18}")
    print(f"  {'Totalt':<{width}}{kr(result.total_full_cost):>18}")
    customers = result.price_list["customer_id"].nunique()
    print(f"Kunder med debitering: {customers}")
    if result.comparison is not None:
        c = result.comparison
        print(f"Jämfört med föregående år: {style.plain_spaces(totals_change_text(c))}")
        if c.joined or c.left:
            print(f"Nya kunder: {len(c.joined)}, kunder som har lämnat: {len(c.left)}")
    print(f"Skrev {len(written)} filer till {args.out}:")
    for path in written:
        print(f"  {path.name}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from . import scenario_views
    from .scenario_comparison import run_scenario

    problem = scenario_views.output_file_problem(args.data_dir, args.out) if args.out else None
    if problem:
        print(f"Fel: {problem}", file=sys.stderr)
        return EXIT_INPUT
    run = run_scenario(args.data_dir, args.scenario)
    print(scenario_views.comparison_text(run, top=args.top))
    if args.out:
        print(f"Skrev {scenario_views.write_comparison_workbook(run, args.out, args.data_dir)}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .pipeline import build

    return build(
        args.data,
        args.out,
        force=args.force,
        pdf=not args.no_pdf,
        scenarios=tuple(args.scenario or ()),
    )


def cmd_new_year(args: argparse.Namespace) -> int:
    from .new_year import new_year

    report = new_year(args.year, args.source, args.out)
    print(
        f"Skapade {report.target} för prislista {report.year} "
        f"(volymperiod {report.volume_period[0]} – {report.volume_period[1]}):"
    )
    print("  " + ", ".join(report.written))
    if not report.model_comments_kept:
        print("  OBS: kommentarerna i model.yml kunde inte behållas – jämför med förra året.")
    print("Fyll i härnäst:")
    for line in report.todo:
        print(f"  • {line}")
    print(f"Kontrollera sedan: prismodell calculate {report.target} --out out/{report.year}")
    return 0


def cmd_volumes(args: argparse.Namespace) -> int:
    from .output_folder import check_output_folder
    from .volumes import run_volumes, volume_report, write_volumes

    run = run_volumes(args.data_dir)  # the input's problems first: they are the usual ones
    check_output_folder(args.out, args.data_dir)
    written = write_volumes(run, args.out, args.data_dir)
    print(volume_report(run))
    print(f"Skrev {len(written)} filer till {args.out}:")
    for path in written:
        print(f"  {path.name}")
    return 0


def cmd_invoices(args: argparse.Namespace) -> int:
    from . import style
    from .calculation import calculate
    from .inputs import load_calloffs, load_input
    from .invoices import KIND_LABELS, KINDS, invoice_lines, write_invoice_basis
    from .output_folder import check_output_folder, output_folder

    model = load_input(args.data_dir)  # the input's problems first: they are the usual ones
    calloffs = load_calloffs(model)
    check_output_folder(args.out, args.data_dir)  # before calculating
    lines = invoice_lines(model, calculate(model), calloffs)
    with output_folder(args.out, args.data_dir) as stage:
        written = [args.out / p.name for p in write_invoice_basis(model, lines, stage)]

    print(
        f"Fakturaunderlag {model.price_list_year}"
        + (" – EXEMPELDATA" if model.example_data else "")
    )
    for kind in KINDS:
        rows = lines[lines["kind"] == kind]
        amount = style.plain_spaces(style.format_kr(rows["amount"].sum()))
        noun = "rad" if len(rows) == 1 else "rader"
        print(f"  {KIND_LABELS[kind]:<18}{len(rows):>8} {noun:<6}{amount:>18}")
    if calloffs is None:
        print("  (ingen calloffs.csv: bara bastjänsterna)")
    print(f"Skrev {len(written)} filer till {args.out}:")
    for path in written:
        print(f"  {path.name}")
    return 0


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
    _output_folder_argument(calc, "mapp för CSV-filerna och prislista.xlsx")
    calc.add_argument(
        "--scenario", metavar="NAMN", help="räkna på scenariot DATAMAPP/scenarios/NAMN.yml"
    )
    calc.set_defaults(func=cmd_calculate)

    comp = commands.add_parser("compare", help="jämför ett scenario med basåret")
    comp.add_argument("data_dir", type=Path, metavar="DATAMAPP", help="t.ex. data/2023")
    comp.add_argument("--scenario", required=True, metavar="NAMN", help="scenarios/NAMN.yml")
    comp.add_argument("--out", type=Path, metavar="FIL.xlsx", help="skriv jämförelsen till Excel")
    comp.add_argument("--top", type=int, default=15, metavar="N", help="antal största förändringar")
    comp.set_defaults(func=cmd_compare)

    book = commands.add_parser("build", help="bygg årsrapporten (HTML och PDF)")
    book.add_argument(
        "--data", type=Path, required=True, metavar="DATAMAPP", help="t.ex. data/2023"
    )
    book.add_argument("--out", type=Path, default=Path("_build"), metavar="BYGGMAPP")
    book.add_argument("--force", action="store_true", help="kör om alla notebooks")
    book.add_argument("--no-pdf", action="store_true", help="bygg bara HTML")
    book.add_argument(
        "--scenario", action="append", metavar="NAMN", help="lägg till ett scenariokapitel"
    )
    book.set_defaults(func=cmd_build)

    inv = commands.add_parser(
        "invoices",
        help="fakturaunderlag: bastjänster årsvis i förskott, avrop och tilläggstjänster "
        "månadsvis i efterskott",
    )
    inv.add_argument("data_dir", type=Path, metavar="DATAMAPP", help="t.ex. data/2023")
    _output_folder_argument(inv, "mapp för invoice_lines.csv och fakturaunderlag.xlsx")
    inv.set_defaults(func=cmd_invoices)

    vol = commands.add_parser(
        "volumes", help="räkna fram årets volymer ur källsystemens uttag (extracts.yml)"
    )
    vol.add_argument("data_dir", type=Path, metavar="DATAMAPP", help="t.ex. data/2024")
    _output_folder_argument(vol, "mapp för volumes.csv, volume_quality.csv och volymer.xlsx")
    vol.set_defaults(func=cmd_volumes)

    year = commands.add_parser(
        "new-year", help="skapa nästa års datamapp från ett tidigare års (skriver aldrig över)"
    )
    year.add_argument("year", type=int, metavar="ÅR", help="det nya prislisteåret, t.ex. 2025")
    year.add_argument(
        "--from", dest="source", type=Path, required=True, metavar="DATAMAPP", help="data/2024"
    )
    year.add_argument(
        "--out", type=Path, default=None, metavar="NY_DATAMAPP", help="standard: ÅR bredvid"
    )
    year.set_defaults(func=cmd_new_year)
    return root


def _output_folder_argument(command: argparse.ArgumentParser, what: str) -> None:
    """The required ``--out`` of the commands that write an output folder."""
    command.add_argument("--out", type=Path, required=True, metavar="UTMAPP", help=what)


def _os_error_file(error: OSError) -> str:
    """The file an OS error is about, or what the error says when it names none."""
    where = error.filename or error.filename2
    return str(where) if where else "en fil"


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
            f"Fel: kunde inte skriva eller läsa {_os_error_file(error)}: "
            f"{error.strerror or error}. "
            "Kontrollera sökvägen och behörigheterna.",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def run() -> None:
    """The console script: ``main`` in a process that ends when it returns."""
    code = main()
    # The process ends here. Frozen, the heap is not taken apart object by object at exit:
    # for what `calculate` imports that is ~0.09 s CPU, a tenth of the whole command.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
