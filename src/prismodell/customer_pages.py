"""The appendix of the book: one price sheet per customer, written as MyST Markdown pages.

Plain Markdown (no notebooks) keeps the appendix fast: 30+ kernels would take minutes, these
pages take seconds. Tables are raw HTML from :func:`prismodell.style.table_html` (every cell
escaped) and every text from the data that goes into Markdown passes
:func:`prismodell.style.md_escape`, so a customer's name can never become markup.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pandas as pd

from . import dedicated, style
from . import report_tables as tables
from .behaviour import SAVING_STEPS, customer_savings
from .billing import base_invoice_date, format_date_sv
from .calculation import PriceModelResult
from .decomposition import PARTS, all_change_parts, in_whole_kronor, previous_year
from .figures import customer_figure, house_style
from .inputs import PriceModelInput
from .narrative_views import change_text, format_period
from .pdf import SHEET_FOLDER, sheet_file_name
from .style import md_escape
from .workbook import write_customer_workbook

FOLDER = "kunder"
IMAGE_FOLDER = "bilder"
INDEX = f"{FOLDER}/index"
IMAGE_DPI = 120

_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def page_name(customer_id: str) -> str:
    """A file-system and URL safe document name for a customer id (unique per id)."""
    if _SAFE_NAME.fullmatch(customer_id) and customer_id != "index":
        return customer_id
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", customer_id).strip("_")[:40] or "kund"
    return f"{slug}_{hashlib.sha1(customer_id.encode()).hexdigest()[:8]}"


def _raw_html(html: str) -> str:
    """A raw HTML block whose fence is longer than any backtick run in the HTML (data)."""
    longest = max((len(run) for run in re.findall(r"`+", html)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{raw}} html\n{html}\n{fence}\n"


def index_page(model: PriceModelInput, result: PriceModelResult, overview: pd.DataFrame) -> str:
    """The appendix's first page: what a price sheet holds and all customers in one table."""
    year = model.price_list_year
    has_previous = result.comparison is not None
    lines = [
        "# Prisblad per kund",
        "",
        f"Här finns ett prisblad för varje kund som betalar för bastjänster i prislistan {year}. "
        "Prisbladet visar vad kunden betalar per tjänsteområde, kundens volymer per "
        "fördelningsnyckel med priset per enhet och kundens andel av den totala volymen"
        + (", samt förändringen mot föregående år." if has_previous else "."),
        "",
        "Beloppen är hela kronor och summerar per tjänsteområde exakt till tjänsteområdets "
        "självkostnad. Bastjänsterna faktureras en gång per år i förskott.",
        "",
    ]
    columns = ["name", "type", "total"]
    headers = {"name": "Kund", "type": "Typ", "total": f"Prislista {year}"}
    formats = {"total": "kr"}
    sums = ["total"]
    if has_previous:
        columns += ["previous", "difference", "change"]
        headers.update(
            {"previous": "Föregående år", "difference": "Förändring", "change": "Procent"}
        )
        formats.update({"previous": "kr", "difference": "signed_kr", "change": "change"})
        sums += ["previous", "difference"]
    rows = overview[columns]
    if has_previous and result.comparison.left:  # leavers keep the previous total whole
        rows = pd.concat([rows, tables.leaver_rows(result)[columns]], ignore_index=True)
    table = tables.with_total(rows, "name", sums)
    if has_previous:
        table = tables.total_row_change(table, "total")
    caption = tables.caption(model, f"Pris per kund, prislista {year}")
    # each name links to the customer's price sheet (leavers have none, nor the total row)
    pages = [f"{page_name(c)}.html" for c in overview["customer_id"]]
    pages += [None] * (len(table) - len(pages))
    html_table = style.table_html(
        table, formats, headers, caption, total_row=True, links={"name": pages}
    )
    lines.append(_raw_html(html_table))
    return "\n".join(lines)


def customer_page(
    model: PriceModelInput,
    result: PriceModelResult,
    customer: pd.Series,
    image: str,
    change: pd.DataFrame | None = None,
    sheet_pdf: str | None = None,
) -> str:
    """One customer's price sheet in MyST Markdown; ``image`` is the chart's relative path,
    ``change`` the customer's change against last year in parts
    (:func:`decomposition.change_parts`; None when last year's data folder is missing),
    ``sheet_pdf`` the relative link to the sheet's PDF when the build prints one."""
    year = model.price_list_year
    customer_id = customer["customer_id"]
    name = str(customer["name"])
    charges = tables.customer_charges(model, result, customer_id)
    volumes = tables.customer_volumes(model, result, customer_id)
    has_previous = result.comparison is not None
    total = float(charges["new"].sum())
    customer_type = str(customer.get("type") or "").strip()

    lines = [f"# {style.md_escape(name)}", ""]
    facts = []
    if customer_type:
        facts.append(f"Typ: {style.md_escape(customer_type)}")
    facts.append(f"Prislista {year}")
    facts.append(f"Volymperiod {style.md_escape(format_period(*model.volume_period))}")
    lines += [" · ".join(facts), ""]
    lines += [
        f"Priset för bastjänsterna {year} är **{style.format_kr(total)}**. Det faktureras i "
        f"förskott för hela året med fakturadatum {format_date_sv(base_invoice_date(model))} "
        "(datumet är ett antagande; underlaget säger bara att bastjänsterna faktureras årsvis "
        "i förskott).",
        "",
        "## Pris per tjänsteområde",
        "",
    ]
    columns = ["label", "new"]
    headers = {"label": "Tjänsteområde", "new": f"Prislista {year}"}
    formats = {"new": "kr"}
    if has_previous:
        columns += ["previous", "difference", "change"]
        headers.update(
            {"previous": "Föregående år", "difference": "Förändring", "change": "Procent"}
        )
        formats.update({"previous": "kr", "difference": "signed_kr", "change": "change"})
    table = tables.with_total(
        charges[columns], "label", [c for c in ("new", "previous", "difference") if c in columns]
    )
    if has_previous:
        table = tables.total_row_change(table)
    caption = tables.caption(model, f"Pris per tjänsteområde för {name}")
    lines.append(_raw_html(style.table_html(table, formats, headers, caption, total_row=True)))

    own = dedicated.customer_text(model, result, customer_id)
    if own:
        table, headers, formats = dedicated.dedicated_display(
            model, result, customer_id=customer_id
        )
        caption = tables.caption(model, f"Särskilda tjänster för {name}")
        lines += [own, _raw_html(style.table_html(table, formats, headers, caption, True))]

    lines += ["## Volymer och pris per enhet", ""]
    lines += [
        "Kundens volym av varje fördelningsnyckel under volymperioden, nyckelns totala volym, "
        "kundens andel och priset per enhet. Beloppet är kundens exakta andel av nyckelns del "
        "av självkostnaden, före avrundningen till hela kronor i prislistan.",
        "",
    ]
    weights = model.keys.set_index("key_id")["weight"]
    weighted = volumes["key_id"].map(weights) > 0
    if not weighted.all():  # a key with weight 0 carries no cost: it only confuses the sheet
        lines += [
            "Nycklar med vikten 0 ("
            + ", ".join(md_escape(k) for k in volumes.loc[~weighted, "key"])
            + ") bär ingen kostnad och visas inte.",
            "",
        ]
    volume_table = volumes.loc[
        weighted, ["area", "key", "volume", "total_volume", "share", "unit_price", "amount"]
    ]
    lines.append(
        _raw_html(
            style.table_html(
                volume_table,
                {
                    "volume": "number",
                    "total_volume": "number",
                    "share": "percent",
                    "unit_price": "unit_price",
                    "amount": "kr2",
                },
                {
                    "area": "Tjänsteområde",
                    "key": "Fördelningsnyckel",
                    "volume": "Volym",
                    "total_volume": "Total volym",
                    "share": "Andel",
                    "unit_price": "Pris per enhet",
                    "amount": "Belopp",
                },
                tables.caption(model, f"Volymer och pris per enhet för {name}"),
            )
        )
    )

    lines += ["## Förändring mot föregående år", ""]
    previous_total = float(charges["previous"].sum()) if has_previous else None
    lines.append(change_text("priset", total, previous_total))
    alt = style.md_escape(
        f"Stapeldiagram: pris per tjänsteområde för {name}"
        + (" i år och föregående år; siffrorna står i tabellen Pris per tjänsteområde."
           if has_previous else "; siffrorna står i tabellen Pris per tjänsteområde.")
    )
    lines += ["", f"![{alt}]({image})", ""]
    if has_previous:
        lines += why_section(model, change, name)
    lines += savings_section(model, result, customer_id, name)
    lines += hourly_section(model, result)
    download = f"{IMAGE_FOLDER}/{page_name(customer_id)}.xlsx"
    lines += [
        "## Prisbladet som fil",
        "",
        # the name stays out of the role: its text is taken literally, escapes and all
        f"{{download}}`Ladda ner prisbladet som Excelfil <{download}>`",
        "",
    ]
    if sheet_pdf:  # printed after the HTML: a plain link, not a Sphinx download
        lines.append(_raw_html(
            f'<p><a href="{html.escape(sheet_pdf)}">Ladda ner prisbladet som PDF</a> '
            "(för utskrift och arkiv)</p>"
        ))
    lines += [
        "## Läs mer",
        "",
        "Hur självkostnaden räknas fram står i kapitlet {doc}`/sjalvkostnad`, hur den fördelas "
        "i {doc}`/fordelningsnycklar` och vad som händer med priset när volymerna ändras i "
        "{doc}`/beteende`.",
        "",
    ]
    headings = re.findall(r"^## (.+)$", "\n".join(lines), re.MULTILINE)
    lines[4:4] = [section_links(headings), ""]
    return "\n".join(lines)


def section_links(headings: list[str]) -> str:
    """The sheet's sections as links under its title (the sheet has the page's full width,
    without the contents column). The anchors are the ones Sphinx gives the headings."""
    from docutils.nodes import make_id

    links = " · ".join(
        f'<a href="#{make_id(h)}">{html.escape(h)}</a>' for h in headings
    )
    return _raw_html(f'<nav class="pm-sections" aria-label="Prisbladets avsnitt">{links}</nav>')


def why_section(model: PriceModelInput, change: pd.DataFrame | None, name: str) -> list[str]:
    """'Varför har priset ändrats?': the change per service area split into the customer's
    own volume, the keys' changed weights, the rest of the unit price (cost and total volume),
    new or removed keys, dedicated services and rounding (decomposition module); a plain
    sentence when last year's data folder is missing."""
    lines = ["### Varför har priset ändrats?", ""]
    if change is None:
        return lines + [
            f"Datamappen för {model.price_list_year - 1} finns inte bredvid årets, så "
            "förändringen kan inte delas upp på kundens egen volym, ändrade vikter och priset "
            "per enhet.",
            "",
        ]
    # whole kronor that add up on the page, rows and the total row alike
    parts = in_whole_kronor(change)
    parts["area"] = parts["service_area"].map(tables.area_names(model))
    columns = ["area", "difference", *PARTS]
    table = tables.with_total(parts[columns], "area", columns[1:])
    headers = {"area": "Tjänsteområde", "difference": "Förändring", **PARTS}
    lines += [
        "Förändringen per tjänsteområde är delad i sex delar som summerar exakt till "
        "förändringen:",
        "",
        f"- **{PARTS['volume']}**: kundens egen volymförändring till förra årets pris per "
        "enhet.",
        f"- **{PARTS['weight']}**: vad enbart den ändrade vikten för fördelningsnycklarna "
        "flyttar, räknat med förra årets kostnad och volymer. Den är 0 där vikterna är "
        "oförändrade.",
        f"- **{PARTS['unit_price']}**: resten av förändringen i pris per enhet, det vill säga "
        "att tjänsteområdets kostnad och nyckelns totala volym (alla kunders) har ändrats.",
        f"- **{PARTS['keys']}**: fördelningsnycklar som är nya eller borttagna i år.",
        f"- **{PARTS['dedicated']}**: bastjänster som bara kunden använder och betalar helt.",
        f"- **{PARTS['rounding']}**: avrundningen till hela kronor och en eventuell skillnad "
        "mellan förra årets faktura och förra årets modell.",
        "",
        "Delarna är avrundade till hela kronor så att varje rad och summaraden går jämnt ut.",
        "",
        _raw_html(style.table_html(
            table, dict.fromkeys(columns[1:], "signed_kr"), headers,
            tables.caption(model, f"Varför priset ändrats för {name}"), total_row=True,
        )),
    ]
    return lines


def savings_section(
    model: PriceModelInput, result: PriceModelResult, customer_id: str, name: str
) -> list[str]:
    """'Vad kan kunden påverka?': the customer's own keys, the dearest unit first, with what
    10 % and 20 % fewer units save in the short and the long run (behaviour module)."""
    savings = customer_savings(model, result, customer_id)
    if savings.empty:
        return []
    savings = savings.assign(area=savings["service_area"].map(tables.area_names(model)))
    steps = [round(x * 100) for x in SAVING_STEPS]
    headers = {"area": "Tjänsteområde", "name": "Fördelningsnyckel",
               "unit_price": "Pris per enhet"}
    for pct in steps:
        headers[f"short_{pct}"] = f"{pct} % färre, kort sikt"
        headers[f"long_{pct}"] = f"{pct} % färre, lång sikt"
    formats = {"unit_price": "unit_price"} | {
        f"{h}_{pct}": "kr" for pct in steps for h in ("short", "long")
    }
    top = savings.iloc[0]
    return [
        "## Vad kan kunden påverka?",
        "",
        "Priset följer kundens volymer. Tabellen visar kundens egna nycklar, den med högst pris "
        "per enhet först, och vad kunden sparar med färre enheter. På kort sikt är "
        "tjänsteområdets kostnad densamma och fördelas på färre enheter, så besparingen blir "
        "något mindre och andra kunder betalar lite mer; på lång sikt följer kostnaden arbetet. "
        f"Dyrast per enhet är {md_escape(top['name'].lower())} "
        f"({md_escape(style.format_kr(top['unit_price'], 2))}).",
        "",
        _raw_html(style.table_html(
            savings[list(headers)], formats, headers,
            tables.caption(model, f"Besparing med färre enheter för {name}"),
        )),
    ]


def hourly_section(model: PriceModelInput, result: PriceModelResult) -> list[str]:
    """The hourly rates of services charged per hour (a few base services within
    ekonomiservice and the additional services), invoiced monthly in arrears."""
    table = tables.hourly_rates_table(model, result)[["label", "hourly_rate"]]
    return [
        "## Timpriser",
        "",
        "Ett fåtal bastjänster inom ekonomiservice och tilläggstjänsterna debiteras per timme "
        "och faktureras månadsvis i efterskott. Timpriset beror på vem som utför arbetet.",
        "",
        _raw_html(style.table_html(
            table, {"hourly_rate": "kr"},
            {"label": "Personalkategori", "hourly_rate": "Timpris"},
            tables.caption(model, f"Timpriser {model.price_list_year}"),
        )),
    ]


def write_customer_pages(
    model: PriceModelInput, result: PriceModelResult, out_dir: Path, sheet_pdfs: bool = False
) -> list[str]:
    """Write ``kunder/index.md`` and one page (with its chart) per charged customer under
    ``out_dir``; return the document names in toc order: the index, then the customers by
    name. ``sheet_pdfs``: the pages link the sheets' PDFs (printed by the PDF step)."""
    out_dir = Path(out_dir)
    folder = out_dir / FOLDER
    images = folder / IMAGE_FOLDER
    images.mkdir(parents=True, exist_ok=True)
    overview = tables.customer_overview(model, result)
    last_year = previous_year(model) if result.comparison is not None else None
    changes = (all_change_parts(model, result, last_year, overview["customer_id"])
               if last_year is not None else {})
    (folder / "index.md").write_text(index_page(model, result, overview), encoding="utf-8")
    docs = [INDEX]
    figure = None
    for _, customer in overview.iterrows():
        name = page_name(customer["customer_id"])
        charges = tables.customer_charges(model, result, customer["customer_id"])
        figure = customer_figure(charges, fig=figure)
        # constrained layout already fits the margins; no "tight" bbox (a second draw)
        with house_style():  # the ticks are made as it draws
            figure.savefig(
                images / f"{name}.png", dpi=IMAGE_DPI, bbox_inches=None, facecolor="white"
            )
        write_customer_workbook(
            model,
            charges,
            tables.customer_volumes(model, result, customer["customer_id"]),
            str(customer["name"]),
            images / f"{name}.xlsx",
        )
        sheet_pdf = (
            f"../{SHEET_FOLDER}/{sheet_file_name(model.price_list_year, name)}"
            if sheet_pdfs
            else None
        )
        text = customer_page(
            model, result, customer, f"{IMAGE_FOLDER}/{name}.png",
            changes[customer["customer_id"]] if last_year is not None else None, sheet_pdf
        )
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
        docs.append(f"{FOLDER}/{name}")
    if figure is not None:
        figure.clear()
    return docs
