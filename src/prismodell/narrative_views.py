"""What the narrative chapters show: tables, Markdown and HTML built from a :class:`Narrative`,
the validated model and the calculation.

Small pure functions; the notebooks only call them and display the result. Every text that
comes from data is escaped: Markdown through :func:`prismodell.style.md_escape`, HTML through
:func:`html.escape` (or :func:`prismodell.style.table_html`, which escapes every cell). Column
headings and labels are Swedish; any set of service areas works, none is named in code.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import pandas as pd

from .billing import MONTHS_SV, billing_month
from .calculation import Comparison, PriceModelResult
from .inputs import PriceModelInput
from .narrative import (
    NEW_SERVICE,
    OVERALL,
    OVERALL_NAME,
    REMOVED_SERVICE,
    Bullet,
    Forum,
    Narrative,
    OtherItem,
)
from .report_tables import (
    KEY_FORMATS,
    area_keys_table,
    area_names,
    customer_changes_text,
    relative_change,
)
from .style import (
    format_kr,
    format_number,
    format_percent,
    format_signed_kr,
    md_escape,
    scroll_box,
)

# --------------------------------------------------------------------------- Markdown


def bullets_markdown(bullets: Iterable[Bullet | str], numbered: bool = False) -> str:
    """A Markdown list (sub-items indented one level); all text escaped."""
    lines = []
    for i, bullet in enumerate(bullets, start=1):
        if isinstance(bullet, str):
            bullet = Bullet(bullet)
        marker = f"{i}." if numbered else "-"
        lines.append(f"{marker} {md_escape(bullet.text)}")
        indent = " " * (len(marker) + 1)
        lines += [f"{indent}- {md_escape(item)}" for item in bullet.items]
    return "\n".join(lines) + "\n"


def section_markdown(heading: str, *blocks: str, level: int = 3) -> str:
    """A heading (escaped) followed by ready-made Markdown blocks; empty blocks are skipped."""
    parts = [f"{'#' * level} {md_escape(heading)}"] + [b for b in blocks if b and b.strip()]
    return "\n\n".join(parts) + "\n"


def labelled_markdown(label: str, block: str) -> str:
    """A bold label (escaped) on its own line above a block, or '' when the block is empty."""
    if not block or not block.strip():
        return ""
    return f"**{md_escape(label)}**\n\n{block}"


def quote_markdown(quotes: Iterable[str], source: str = "") -> str:
    lines = []
    for quote in quotes:
        lines += [f"> {md_escape(quote)}", ">"]
    if not lines:
        return ""
    if source:
        lines.append(f"> *{md_escape(source)}*")
    else:
        lines.pop()
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- names, periods


def area_labels(model: PriceModelInput) -> dict[str, str]:
    """Display names of the model's service areas in model order, plus ``overgripande``."""
    return {**area_names(model), OVERALL: OVERALL_NAME}


def month_name(month: int) -> str:
    return MONTHS_SV[month - 1]


def format_period(start: str, end: str) -> str:
    """('2021-07', '2022-06') → 'juli 2021 – juni 2022'."""

    def one(text: str) -> str:
        year, month = text.split("-")
        return f"{month_name(int(month))} {year}"

    return f"{one(start)} – {one(end)}"


# ------------------------------------------------------------------ change against last year

NO_PREVIOUS_YEAR = (
    "Underlaget innehåller inga debiteringar från föregående år, så ingen jämförelse görs."
)


def change_text(subject: str, new: float, previous: float | None) -> str:
    """The one sentence on a change against last year (plain text, numbers formatted), e.g.
    'Jämfört med föregående år ökar priset från 100 kr till 110 kr, +10 kr (+10,0 %).'

    ``subject`` is what changes, in definite form ('priset', 'den totala debiteringen');
    ``previous`` None means the data has no previous year. Four cases: an increase or a
    decrease (kronor and per cent both signed), no change, and nothing last year (0 kr: no
    percentage of nothing, see :func:`relative_change`)."""
    if previous is None:
        return NO_PREVIOUS_YEAR
    difference = new - previous
    if round(difference) == 0:  # amounts are shown to the krona
        return f"Jämfört med föregående år har {subject} inte förändrats: {format_kr(new)}."
    change = relative_change(new, previous)
    if change is None:
        return f"Föregående år var {subject} 0 kr; hela beloppet {format_kr(new)} är nytt i år."
    direction = "ökar" if difference > 0 else "minskar"
    return (
        f"Jämfört med föregående år {direction} {subject} från {format_kr(previous)} till "
        f"{format_kr(new)}, {format_signed_kr(difference)} "
        f"({format_percent(change, signed=True)})."
    )


def excluding_change(comparison: Comparison) -> float | None:
    """The relative change without the changed assignments (new and removed base services)."""
    return relative_change(
        comparison.new_total - comparison.changed_assignments_total, comparison.previous_total
    )


def totals_change_text(comparison: Comparison) -> str:
    """'−2,6 % exklusive och −1,1 % inklusive förändrade uppdrag' (the two totals of rule 10)."""
    including = relative_change(comparison.new_total, comparison.previous_total)
    return (
        f"{format_percent(excluding_change(comparison), signed=True)} exklusive och "
        f"{format_percent(including, signed=True)} inklusive förändrade uppdrag"
    )


def comparison_summary_text(model: PriceModelInput, result: PriceModelResult) -> str:
    """The summary chapter's paragraph comparing the old and the new price model."""
    comparison = result.comparison
    if comparison is None:
        return NO_PREVIOUS_YEAR
    text = (
        f"Med den nya prismodellen debiteras kunderna sammanlagt "
        f"{format_kr(comparison.new_total)} för prislistan {model.price_list_year}. "
        + change_text(
            "kostnaden inklusive förändrade uppdrag",
            comparison.new_total,
            comparison.previous_total,
        )
        + " De förändrade uppdragen – nya och borttagna bastjänster – har en sammanlagd "
        f"kostnadseffekt på {format_kr(comparison.changed_assignments_total)}. Exklusive "
        f"förändrade uppdrag är förändringen "
        f"{format_percent(excluding_change(comparison), signed=True)}."
    )
    joined_left = customer_changes_text(model, result)
    return f"{text} {joined_left}" if joined_left else text


# --------------------------------------------------------------------------- Om rapporten


def report_facts(model: PriceModelInput, result: PriceModelResult) -> dict[str, str]:
    """Texts for glue on the landing page: year, volume period, totals and the change."""
    charged = result.price_list.loc[result.price_list["amount"] > 0, "customer_id"].nunique()
    facts = {
        "price_list_year": str(model.price_list_year),
        "volume_period": format_period(*model.volume_period),
        "total_full_cost": format_kr(result.total_full_cost),
        "service_areas": format_number(len(model.service_areas)),
        "customers": format_number(charged),
        "customers_listed": format_number(len(model.customers)),
    }
    facts["change_sentence"] = change_sentence(model, result)
    return facts


def change_sentence(model: PriceModelInput, result: PriceModelResult) -> str:
    """The change against last year with and without the changed assignments (plain text):
    the landing page's body, below :func:`key_message`, which gives the change in kronor."""
    comparison = result.comparison
    if comparison is None or comparison.previous_total <= 0:
        previous = None if comparison is None else comparison.previous_total
        new = 0.0 if comparison is None else comparison.new_total
        return change_text("den totala debiteringen", new, previous)
    return f"Jämfört med föregående år är förändringen {totals_change_text(comparison)}."


def context_table(narrative: Narrative) -> pd.DataFrame:
    """Dokumentgrupp, Dokument – the deliverables around the report."""
    return narrative.about.context.rename(
        columns={"group": "Dokumentgrupp", "document": "Dokument"}
    )


# --------------------------------------------------------------------------- Uppdrag


def _focus_markdown(focus, year: int, note: str = "") -> str:
    """'ÅÅÅÅ i fokus' with its bullets, and ``note`` under them (when the texts are stale)."""
    bullets = bullets_markdown(focus)
    if bullets and bullets.strip() and note:
        bullets = bullets.rstrip("\n") + "\n\n" + note + "\n"
    return labelled_markdown(f"{year} i fokus", bullets)


def business_area_markdown(
    narrative: Narrative, model: PriceModelInput, stale_focus_note: str = ""
) -> str:
    """The business area's assignment: description, principles, quotes, focus, lookback.
    ``stale_focus_note`` goes under the focus when it is last year's word for word."""
    business = narrative.business_area
    return "\n\n".join(
        block
        for block in (
            labelled_markdown(business.heading, md_escape(business.description) + "\n"),
            labelled_markdown(
                "Principer för uppdragsbeskrivningen", bullets_markdown(business.principles)
            ),
            quote_markdown(business.quotes, business.quote_source),
            _focus_markdown(business.focus, model.price_list_year, stale_focus_note),
            labelled_markdown("En tillbakablick", bullets_markdown(business.lookback)),
        )
        if block and block.strip()
    )


def area_text_markdown(
    narrative: Narrative, model: PriceModelInput, service_area: str, stale_focus_note: str = ""
) -> str:
    """One service area's assignment: heading, contents, statistics, focus and lookback."""
    text = narrative.service_areas[service_area]
    year = model.price_list_year
    return section_markdown(
        area_labels(model)[service_area],
        labelled_markdown("Uppdraget omfattar", bullets_markdown(text.contents)),
        labelled_markdown("Ekonomi och statistik", md_escape(text.statistics)),
        _focus_markdown(text.focus, year, stale_focus_note),
        labelled_markdown("En tillbakablick", bullets_markdown(text.lookback)),
        level=3,
    )


ACTIVITY_HEADERS = {
    "activity": "Utvecklingsaktivitet (urval)",
    "quality": "Kvalitet",
    "efficiency": "Effektivitet",
    "year": "Årtal",
}


def activities_table(narrative: Narrative, service_area: str) -> pd.DataFrame:
    """The development activities of one service area (or ``overgripande``), X for yes."""
    rows = narrative.development_activities
    rows = rows[rows["service_area"] == service_area]
    table = rows[["activity", "quality", "efficiency", "year"]].copy()
    for column in ("quality", "efficiency"):
        table[column] = table[column].map({True: "X", False: ""})
    table["year"] = table["year"].astype(str)
    return table.reset_index(drop=True)


CHANGE_HEADERS = {
    "area": "Tjänsteområde",
    "description": "Bastjänst",
    "comment": "Kommentar",
    "cost_effect": "Kostnadseffekt",
}
CHANGE_FORMATS = {"cost_effect": "signed_kr"}


def changed_services(narrative: Narrative, model: PriceModelInput, change: str) -> pd.DataFrame:
    """New (``ny bastjänst``) or removed base services with comments, in model order.

    Columns: area, description, comment (sub-points joined by '; '), cost_effect."""
    rows = narrative.changed_assignments
    rows = rows[rows["change"] == change]
    order = {area: i for i, area in enumerate(area_labels(model))}
    rows = rows.assign(order=rows["service_area"].map(order)).sort_values("order", kind="stable")
    table = rows[["service_area", "description", "comment", "cost_effect"]].copy()
    table.insert(0, "area", table.pop("service_area").map(area_labels(model)))
    table["comment"] = table["comment"].map(comment_sentences)
    return table.reset_index(drop=True)


def comment_sentences(comment: str) -> str:
    """'A; B' (the seed's comment bullets joined by '; ') → 'A. B.'"""
    parts = [p.strip() for p in str(comment or "").split(";") if p.strip()]
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts)


def areas_without_change(narrative: Narrative, model: PriceModelInput, change: str) -> list[str]:
    """Names of the service areas with no row of this kind of change."""
    rows = narrative.changed_assignments
    touched = set(rows.loc[rows["change"] == change, "service_area"])
    return [name for area, name in area_names(model).items() if area not in touched]


def _count(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


def changes_sentence(narrative: Narrative, model: PriceModelInput) -> str:
    """One sentence on the new and removed base services and their net cost effect."""
    rows = narrative.changed_assignments
    if rows.empty:
        return (
            "Datamappen anger inga nya eller borttagna bastjänster till prislistan "
            f"{model.price_list_year}."
        )
    new = rows[rows["change"] == NEW_SERVICE]
    removed = rows[rows["change"] == REMOVED_SERVICE]
    net = float(rows["cost_effect"].sum())
    new_part = (
        f"{_count(len(new), 'ny bastjänst', 'nya bastjänster')} med en beräknad "
        f"kostnadseffekt på {format_kr(float(new['cost_effect'].sum()))}"
    )
    removed_part = (
        f"{_count(len(removed), 'bastjänst', 'bastjänster')}, vilket minskar kostnaden med "
        f"{format_kr(abs(float(removed['cost_effect'].sum())))}"
    )
    year = model.price_list_year
    if len(new) and len(removed):
        text = f"Till prislistan {year} tillkommer {new_part}, och det tas bort {removed_part}. "
    elif len(new):
        text = f"Till prislistan {year} tillkommer {new_part}. "
    else:
        text = f"Till prislistan {year} tas det bort {removed_part}. "
    if net:
        direction = "ökar" if net > 0 else "minskar"
        text += (
            f"Sammantaget {direction} de förändrade uppdragen kostnaden med {format_kr(abs(net))}."
        )
    else:
        text += "Sammantaget tar förändringarna ut varandra."
    return text


def none_markdown(names: list[str], what: str) -> str:
    """'Inga nya bastjänster för: A, B.' (escaped), or '' when every area has some."""
    if not names:
        return ""
    return f"{md_escape(what)}: {md_escape(', '.join(names))}.\n"


# --------------------------------------------------------------------------- Ledtider

LEAD_TIME_HEADERS = {
    "area": "Tjänsteområde",
    "service": "Tjänst",
    "lead_time_days": "Ledtid (dagar)",
    "status": "Uppgift",
}
LEAD_TIME_FORMATS = {"lead_time_days": "number"}


def lead_times_table(narrative: Narrative, model: PriceModelInput) -> pd.DataFrame:
    """Lead times in model order of the service areas; status says illustrativ/gällande."""
    rows = narrative.lead_times
    order = {area: i for i, area in enumerate(area_labels(model))}
    rows = rows.assign(order=rows["service_area"].map(order)).sort_values("order", kind="stable")
    table = pd.DataFrame(
        {
            "area": rows["service_area"].map(area_labels(model)),
            "service": rows["service"],
            "lead_time_days": rows["lead_time_days"],
            "status": rows["illustrative"].map({True: "Illustrativ", False: "Gällande"}),
        }
    )
    return table.reset_index(drop=True)


def lead_time_facts(narrative: Narrative) -> dict[str, str]:
    rows = narrative.lead_times
    illustrative = int(rows["illustrative"].sum())
    return {
        "count": format_number(len(rows)),
        "min_days": format_number(rows["lead_time_days"].min()) if len(rows) else "–",
        "max_days": format_number(rows["lead_time_days"].max()) if len(rows) else "–",
        "illustrative_count": format_number(illustrative),
    }


def lead_times_caption(narrative: Narrative) -> str:
    illustrative = narrative.lead_times["illustrative"]
    if len(illustrative) and illustrative.all():
        return "Illustrativa ledtider per tjänsteområde och tjänst (urval)"
    if illustrative.any():
        return "Ledtider per tjänsteområde och tjänst (urval, delvis illustrativa)"
    return "Ledtider per tjänsteområde och tjänst (urval)"


def lead_time_notice_markdown(narrative: Narrative) -> str:
    """The visible 'Illustrativa ledtider' notice, or '' when every lead time is real."""
    rows = narrative.lead_times
    if not rows["illustrative"].any():
        return ""
    share = "Alla" if rows["illustrative"].all() else "En del av"
    return (
        f"**Illustrativa ledtider.** {share} ledtiderna i tabellen är illustrativa. "
        f"{md_escape(narrative.lead_time_note)}\n"
    )


# --------------------------------------------------------------------------- Fördelningsnycklar

RATING_COLOURS = {  # background, text: readable in colour and, by the word, in greyscale
    "Ja": ("#B7E1B0", "#111111"),
    "Delvis": ("#FFE58A", "#111111"),
    "Nej": ("#F4A6A6", "#111111"),
    "Varierar": ("#D9D9D9", "#111111"),
}
HORIZONS = {"short_term": "Kort sikt", "long_term": "Lång sikt"}


def rating_class(rating: str) -> str:
    """CSS class of a rating cell: pm-rating-ja, pm-rating-delvis, ..."""
    return "pm-rating-" + rating.lower()


def sources_markdown(narrative: Narrative) -> str:
    """Each statistics source as a bold name and its points."""
    return "\n".join(
        labelled_markdown(source.name, bullets_markdown(source.points))
        for source in narrative.keys.sources
    )


def evaluation_matrix_html(narrative: Narrative) -> str:
    """The source × criterion × horizon matrix as an escaped HTML table.

    Every cell shows its word (Ja/Delvis/Nej/Varierar) and has the class ``pm-rating`` plus
    ``pm-rating-<word>``, with the colour also inline, so it reads the same without the
    stylesheet and in greyscale print."""
    keys = narrative.keys
    ratings = narrative.source_evaluation.set_index(["source", "criterion"])
    parts = ['<table class="pm-table pm-rating-matrix">', "<thead><tr>"]
    parts.append('<th rowspan="2">Källa</th>')
    for name in keys.criteria["name"]:
        parts.append(f'<th colspan="2">{escape(name)}</th>')
    parts.append("</tr><tr>")
    for _ in keys.criteria["name"]:
        parts += [f"<th>{escape(h)}</th>" for h in HORIZONS.values()]
    parts.append("</tr></thead><tbody>")
    for source in keys.sources:
        parts.append(
            f'<tr><th scope="row" class="pm-rating-source">{escape(source.name)}</th>'
        )
        for criterion in keys.criteria["criterion"]:
            for column in HORIZONS:
                rating = ratings.at[(source.id, criterion), column]
                background, colour = RATING_COLOURS[rating]
                parts.append(
                    f'<td class="pm-rating {rating_class(rating)}" '
                    f'style="background-color:{background};color:{colour};text-align:center">'
                    f"{escape(rating)}</td>"
                )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return scroll_box("".join(parts), "Bedömning av källor till statistik")


def rating_legend_markdown() -> str:
    return (
        "Färgerna: grönt = Ja, gult = Delvis, rött = Nej och grått = Varierar "
        "(bedömningen står också i varje cell).\n"
    )


def evaluation_counts(narrative: Narrative) -> pd.DataFrame:
    """Per source: how many criteria are rated Ja on short and long term (of all criteria)."""
    rows = narrative.source_evaluation
    names = narrative.keys.source_names()
    table = pd.DataFrame({"source": list(names)})
    for column, label in (("short_term", "ja_short"), ("long_term", "ja_long")):
        counts = rows[rows[column] == "Ja"].groupby("source").size()
        table[label] = table["source"].map(counts).fillna(0).astype(int)
    table.insert(1, "name", table["source"].map(names))
    return table


def evaluation_facts(narrative: Narrative) -> dict[str, str]:
    counts = evaluation_counts(narrative)
    best = counts.sort_values(["ja_short", "ja_long"], ascending=False, kind="stable").iloc[0]
    return {
        "sources": format_number(len(narrative.keys.sources)),
        "criteria": format_number(len(narrative.keys.criteria)),
        "best_source": best["name"],
        "best_ja_short": format_number(best["ja_short"]),
    }


KEYS_HEADERS = {
    "area": "Tjänsteområde",
    "name": "Fördelningsnyckel",
    "source": "Källa",
    "weight": "Vikt",
    "total_volume": "Total volym",
    "pool": "Andel av självkostnaden",
    "unit_price": "Pris per enhet",
    "remark": "Anm.",
}


def chosen_keys_table(
    narrative: Narrative, model: PriceModelInput, result: PriceModelResult
) -> pd.DataFrame:
    """Every service area's keys (model order) with source, weight, volume, pool and unit
    price from the calculation; ``remark`` holds the number of the remark on that key or area
    (see :func:`remarks_markdown`)."""
    numbers = remark_numbers(narrative, model)
    parts = []
    for area, name in area_names(model).items():
        keys = area_keys_table(model, result, area)
        keys.insert(0, "area", name)
        keys["remark"] = [
            ", ".join(
                str(n)
                for (a, k), n in numbers.items()
                if a == area and (k == key_id or (k == "" and i == 0))
            )
            for i, key_id in enumerate(keys["key_id"])
        ]
        parts.append(keys)
    table = pd.concat(parts, ignore_index=True)
    return table[list(KEYS_HEADERS)]


KEYS_FORMATS = dict(KEY_FORMATS)


def remark_numbers(narrative: Narrative, model: PriceModelInput) -> dict[tuple[str, str], int]:
    """(service_area, key_id or '') → remark number, in model order of areas and keys."""
    remarks = narrative.keys.remarks
    order = {area: i for i, area in enumerate(area_names(model))}
    key_order = {key: i for i, key in enumerate(model.keys["key_id"])}
    ranked = remarks.assign(
        a=remarks["service_area"].map(order),
        k=remarks["key_id"].map(key_order).fillna(-1),
    ).sort_values(["a", "k"], kind="stable")
    return {
        (row.service_area, row.key_id): n
        for n, row in enumerate(ranked.itertuples(index=False), start=1)
    }


def remarks_markdown(narrative: Narrative, model: PriceModelInput) -> str:
    """The numbered remarks on the keys: area (and key) in bold, then the text."""
    texts = {(r.service_area, r.key_id): r.text for r in narrative.keys.remarks.itertuples()}
    key_names = dict(zip(model.keys["key_id"], model.keys["name"], strict=True))
    lines = []
    for (area, key_id), number in remark_numbers(narrative, model).items():
        label = area_labels(model)[area] + (f" – {key_names[key_id]}" if key_id else "")
        lines.append(f"{number}. **{md_escape(label)}:** {md_escape(texts[(area, key_id)])}")
    return "\n".join(lines) + ("\n" if lines else "")


def largest_key_facts(model: PriceModelInput, result: PriceModelResult) -> dict[str, str]:
    """The key with the largest pool: its name, area, unit price and pool, for glue."""
    prices = result.unit_prices.dropna(subset=["unit_price"])
    row = prices.loc[prices["pool"].idxmax()]
    key_names = dict(zip(model.keys["key_id"], model.keys["name"], strict=True))
    return {
        "key": key_names[row["key_id"]],
        "area": area_names(model)[row["service_area"]],
        "unit_price": format_kr(row["unit_price"], 2),
        "pool": format_kr(row["pool"]),
        "keys": format_number(int((model.keys["weight"] > 0).sum())),
    }


BEHAVIOUR_HEADERS = {
    "name": "Källa",
    "suitability": "Lämplighet som beteendenyckel",
    "comment": "Kommentar",
}


def behaviour_table(narrative: Narrative) -> pd.DataFrame:
    rows = narrative.behaviour_keys
    table = rows.assign(name=rows["source"].map(narrative.keys.source_names()))
    return table[list(BEHAVIOUR_HEADERS)].reset_index(drop=True)


# --------------------------------------------------------------------------- Styrmodell

FORUM_HEADERS = {
    "name": "Forum",
    "kind": "Typ av möte",
    "frequency": "Frekvens",
    "meetings_per_year": "Möten per år",
    "convener": "Sammankallande",
    "escalates_to": "Eskalerar till",
}
FORUM_FORMATS = {"meetings_per_year": "number"}


def _kind_names(narrative: Narrative) -> dict[str, str]:
    kinds = narrative.governance.meeting_kinds
    return dict(zip(kinds["kind"], kinds["name"], strict=True))


def forums_table(narrative: Narrative) -> pd.DataFrame:
    """One row per forum: name, kind, frequency, meetings per year, convener, escalation."""
    governance = narrative.governance
    names = {f.id: f.name for f in governance.forums}
    kinds = _kind_names(narrative)
    rows = [
        {
            "name": forum.name,
            "kind": kinds.get(forum.kind, forum.kind),
            "frequency": forum.frequency,
            "meetings_per_year": forum.meetings_per_year,
            "convener": ", ".join(forum.conveners) or "–",
            "escalates_to": names.get(forum.escalates_to, ""),
        }
        for forum in governance.forums
    ]
    return pd.DataFrame(rows, columns=list(FORUM_HEADERS))


def escalation_chains(narrative: Narrative) -> list[str]:
    """Each escalation path, from a forum no one escalates to up to its top: 'A → B → C'."""
    forums = {f.id: f for f in narrative.governance.forums}
    targets = {f.escalates_to for f in forums.values() if f.escalates_to}
    chains = []
    for forum in forums.values():
        if forum.id in targets or not forum.escalates_to:
            continue
        names, seen, current = [forum.name], {forum.id}, forum
        while current.escalates_to in forums and current.escalates_to not in seen:
            current = forums[current.escalates_to]
            seen.add(current.id)
            names.append(current.name)
        chains.append(" → ".join(names))
    return chains


def escalation_sentence(narrative: Narrative) -> str:
    chains = escalation_chains(narrative)
    if not chains:
        return "Inget forum har angett något forum att eskalera frågor till."
    return "Frågor bereds och eskaleras vid behov i ordningen " + "; ".join(chains) + "."


def governance_notice_markdown(narrative: Narrative) -> str:
    """The note on assumed conveners and meeting times, or '' when nothing is assumed."""
    if not cycle_is_illustrative(narrative) or not narrative.governance.illustrative_note:
        return ""
    return f"**Antaganden.** {md_escape(narrative.governance.illustrative_note)}\n"


def meeting_kinds_markdown(narrative: Narrative) -> str:
    kinds = narrative.governance.meeting_kinds
    return (
        "\n".join(
            f"- **{md_escape(k.name)}:** {md_escape(k.description)}" for k in kinds.itertuples()
        )
        + "\n"
    )


def forum_markdown(forum: Forum, narrative: Narrative, model: PriceModelInput) -> str:
    """One forum in full: purpose, decisions, communication, participants, agenda."""
    participants = [
        f"**{md_escape(p.name)}** (sammankallande)" if p.convener else md_escape(p.name)
        for p in forum.participants
    ]
    kind = _kind_names(narrative).get(forum.kind, forum.kind)
    facts = f"*{md_escape(kind)}. {md_escape(forum.frequency)}.*"
    if forum.service_areas:
        served = ", ".join(area_labels(model)[a] for a in forum.service_areas)
        facts += f" Gäller {md_escape(served)}."
    return section_markdown(
        forum.name,
        facts,
        labelled_markdown("Syfte", bullets_markdown(forum.purpose)),
        labelled_markdown("Beslutspunkter", bullets_markdown(forum.decisions)),
        labelled_markdown(
            "Kommunikation av beslut och vägval", bullets_markdown(forum.communication)
        ),
        labelled_markdown("Deltagare", "\n".join(f"- {p}" for p in participants) + "\n"),
        labelled_markdown("Agenda", bullets_markdown(forum.agenda)),
        level=3,
    )


MODEL_CALENDAR = "Prismodellens kalender"


def model_calendar(model: PriceModelInput) -> pd.DataFrame:
    """The two dates that follow from model.yml: the base-service invoice and the end of the
    volume period. Columns: month, activity, row, illustrative."""
    year = model.price_list_year
    start, end = model.volume_period
    end_month = int(end.split("-")[1])
    start_month = int(start.split("-")[1])
    return pd.DataFrame(
        [
            {
                "month": billing_month(model.settings),
                "activity": f"Årsfakturan för bastjänsterna {year} skickas, i förskott",
                "row": MODEL_CALENDAR,
                "illustrative": False,
            },
            {
                "month": end_month,
                "activity": (
                    f"Volymperioden för prislistan {year + 1} avslutas "
                    f"({month_name(start_month)}–{month_name(end_month)})"
                ),
                "row": MODEL_CALENDAR,
                "illustrative": False,
            },
        ]
    )


def cycle_meetings(narrative: Narrative) -> pd.DataFrame:
    """One row per forum meeting: row (forum), group (meeting kind), month, illustrative."""
    kinds = _kind_names(narrative)
    rows = [
        {
            "row": forum.name,
            "group": kinds.get(forum.kind, forum.kind),
            "month": month,
            "illustrative": forum.schedule_illustrative,
        }
        for forum in narrative.governance.forums
        for month in forum.months
    ]
    return pd.DataFrame(rows, columns=["row", "group", "month", "illustrative"])


def cycle_events(narrative: Narrative, model: PriceModelInput) -> pd.DataFrame:
    """Milestones of the year: annual_cycle.csv plus :func:`model_calendar`.

    Columns: month, activity, row (category name), illustrative; sorted by month."""
    categories = narrative.governance.cycle_categories
    names = dict(zip(categories["category"], categories["name"], strict=True))
    rows = narrative.annual_cycle.assign(row=narrative.annual_cycle["category"].map(names))
    events = pd.concat(
        [model_calendar(model), rows[["month", "activity", "row", "illustrative"]]],
        ignore_index=True,
    )
    return events.sort_values("month", kind="stable").reset_index(drop=True)


CYCLE_HEADERS = {"month": "Månad", "meetings": "Möten", "events": "Händelser"}


def cycle_table(narrative: Narrative, model: PriceModelInput) -> pd.DataFrame:
    """The årshjul month by month, as text: forum meetings and milestones; an asterisk marks
    an illustrative time."""
    meetings = cycle_meetings(narrative)
    events = cycle_events(narrative, model)
    rows = []
    for month in range(1, 13):
        met = meetings[meetings["month"] == month]
        happen = events[events["month"] == month]
        rows.append(
            {
                "month": month_name(month).capitalize(),
                "meetings": ", ".join(
                    dict.fromkeys(
                        r + ("*" if i else "")
                        for r, i in zip(met["row"], met["illustrative"], strict=True)
                    )
                )
                or "–",
                "events": "; ".join(
                    a + ("*" if i else "")
                    for a, i in zip(happen["activity"], happen["illustrative"], strict=True)
                )
                or "–",
            }
        )
    return pd.DataFrame(rows, columns=list(CYCLE_HEADERS))


def cycle_is_illustrative(narrative: Narrative) -> bool:
    return bool(
        any(f.schedule_illustrative for f in narrative.governance.forums)
        or narrative.annual_cycle["illustrative"].any()
    )


def administrations(model: PriceModelInput) -> int:
    """How many customers are administrations (förvaltningar), not companies."""
    return int(model.customers["type"].fillna("").str.endswith("förvaltning").sum())


def meetings_per_year(narrative: Narrative, model: PriceModelInput) -> int:
    """All forums' meetings in a year; a forum held with each administration (the customer
    meetings, twice a year per administration) counts once per administration."""
    count = administrations(model)
    return sum(
        f.meetings_per_year * (count if f.per_administration else 1)
        for f in narrative.governance.forums
    )


def governance_facts(narrative: Narrative, model: PriceModelInput) -> dict[str, str]:
    forums = narrative.governance.forums
    return {
        "forums": format_number(len(forums)),
        "meetings": format_number(meetings_per_year(narrative, model)),
        "kinds": format_number(len(narrative.governance.meeting_kinds)),
    }


# --------------------------------------------------------------------------- Restlista

REMAINDER_HEADERS = {
    "nr": "Nr",
    "area": "Tjänsteområde",
    "proposal": "Förslag till utveckling",
    "status": "Status",
    "responsible": "Ansvarig",
    "decided_by": "Beslutas av",
    "comment": "Kommentar",
}


def remainders_table(narrative: Narrative, model: PriceModelInput) -> pd.DataFrame:
    rows = narrative.remainder_list.sort_values("nr", kind="stable")
    table = rows.assign(
        area=rows["service_area"].map(area_labels(model)), nr=rows["nr"].astype(str)
    )
    return table[list(REMAINDER_HEADERS)].reset_index(drop=True)


REMAINDER_LIST_HEADERS = {"name": "Restlista", "activities": "Antal aktiviteter"}


def remainder_lists_table(narrative: Narrative) -> pd.DataFrame:
    return narrative.remainders.lists.copy()


def remainder_facts(narrative: Narrative) -> dict[str, str]:
    remainders = narrative.remainders
    updated = remainders.updated
    return {
        "lists": format_number(len(remainders.lists)),
        "activities": format_number(int(remainders.lists["activities"].sum())),
        "example_rows": format_number(len(narrative.remainder_list)),
        "updated": f"{updated.day} {month_name(updated.month)} {updated.year}",
        "example_list": remainders.example_list,
        "example_title": remainders.example_title,
    }


def other_items_markdown(items: Iterable[OtherItem]) -> str:
    """The points of ``rapport/other.yml`` as a Markdown list, each with its title in bold."""
    return "".join(
        f"- **{md_escape(item.title)}.** {md_escape(item.text)}\n" for item in items
    )
# --------------------------------------------------------------------------- the first page


def key_message(model: PriceModelInput, result: PriceModelResult) -> str:
    """The report in a few sentences: the total, its change, and where the change lies."""
    year = model.price_list_year
    total = result.total_full_cost
    comparison = result.comparison
    first = f"Självkostnaden för prislistan {year} är {format_kr(total)}"
    if comparison is None or comparison.previous_total <= 0:
        previous = None if comparison is None else comparison.previous_total
        new = 0.0 if comparison is None else comparison.new_total
        return (
            f"{first} och fördelas på kunderna efter deras volymer. "
            + change_text("den totala debiteringen", new, previous)
        )
    change = change_text("den totala debiteringen", comparison.new_total, comparison.previous_total)
    by_area = comparison.by_area.assign(difference=lambda f: f["new"] - f["previous"])
    largest = by_area.loc[by_area["difference"].abs().idxmax()]
    customers = comparison.by_customer
    raised = int((customers["new"] > customers["previous"]).sum())
    last = (
        f"Störst förändring har {area_names(model)[largest['service_area']].lower()} "
        f"({format_signed_kr(largest['difference'])}), och {raised} av {len(customers)} kunder "
        "får ett högre pris än förra året."
    )
    return f"{first}. {change} {last}"


def open_questions(narrative: Narrative, model: PriceModelInput) -> list[str]:
    """The remarks marked ``open_question``: what the source leaves for the steering group to
    settle, as 'Område – nyckel: text' (plain text)."""
    remarks = narrative.keys.remarks
    key_names = dict(zip(model.keys["key_id"], model.keys["name"], strict=True))
    questions = []
    for row in remarks[remarks["open_question"]].itertuples(index=False):
        label = area_labels(model)[row.service_area]
        if row.key_id:
            label += f" – {key_names[row.key_id]}"
        questions.append(f"{label}: {row.text}")
    return questions


def decisions_markdown(
    narrative: Narrative, model: PriceModelInput, result: PriceModelResult
) -> str:
    """What the report asks the steering group to decide, as a Markdown list (data escaped)."""
    year = model.price_list_year
    charged = result.price_list.loc[result.price_list["amount"] > 0, "customer_id"].nunique()
    keys = model.keys[model.keys["weight"] > 0]
    lines = [
        f"1. **Prislistan {year}:** självkostnaden {format_kr(result.total_full_cost)} "
        f"fördelad på {format_number(charged)} kunder. Varje kunds pris står i bilagan "
        "Prisblad per kund.",
        f"2. **Fördelningsnycklar och vikter:** {format_number(len(keys))} nycklar med vikt "
        f"i {format_number(len(model.service_areas))} tjänsteområden, som kapitlet "
        "Fördelningsnycklar beskriver.",
    ]
    questions = open_questions(narrative, model)
    if questions:
        lines.append(
            "3. **Öppna frågor i underlaget** som behöver avgöras innan volymerna tas ut:"
        )
        lines += [f"   - {md_escape(question)}" for question in questions]
    return "\n".join(lines) + "\n"
