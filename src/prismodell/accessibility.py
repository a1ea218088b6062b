"""The report's accessibility statement (tillgänglighetsredogörelse): what was tested, how, and
what is known not to meet WCAG 2.1 AA, as Swedish public bodies publish under lag (2018:1937)
om tillgänglighet till digital offentlig service."""

from __future__ import annotations

from .inputs import PriceModelInput

PAGE = "tillganglighet"

# What the browser test (tests/test_browser.py) and the PDF tests (tests/test_book.py) check.
TESTED = (
    "Alla sidor granskas automatiskt med axe-core mot WCAG 2.1 nivå A och AA (reglerna "
    "wcag2a, wcag2aa, wcag21a och wcag21aa) i webbläsaren Chromium. Prisbladen har samma "
    "sidhuvud och meny som kapitlen: det första prisbladet granskas i sin helhet, de övriga "
    "prisbladens text och länkar till föregående och nästa sida. Byggs rapporten med en "
    "överträdelse stoppar testet.",
    "En webbläsare går igenom rapporten som en läsare: från första sidan nås varje sida bara "
    "genom att klicka på synliga länkar (innehållsförteckningen, länken Nästa och "
    "kundförteckningen), både på en datorskärm och i mobilbredd. Navigeringen, sökfältet och "
    "exempeldatamarkeringen kontrolleras på skärmen, inte bara i sidkoden, och ingen sida ska "
    "behöva rullas i sidled.",
    "Tangentbordet: första tabbstoppet är länken Hoppa till huvudinnehållet, och nästa sida nås "
    "med tangentbordet.",
    "Sökningen hittar en kund på namnet.",
    "Varje diagram har en svensk alternativtext som säger vad det visar och vad som sticker "
    "ut, och diagrammets siffror som en tabell under diagrammet (knappen Visa figurens data som "
    "tabell). Färg är aldrig det enda som bär information: staplar skiljs också av mönster och "
    "betygen i källmatrisen står i ord.",
    "Tabellerna har rubrikceller och en tabellrubrik. En tabell som är bredare än skärmen rullas "
    "i en egen ruta som kan nås med tangentbordet.",
    "PDF-filen är taggad enligt PDF/UA-1 med titel, språk (svenska), författare och bokmärken per "
    "kapitel. Ett test läser varje ords position och kontrollerar att ingen text går utanför "
    "sidans marginaler och att ingen rubrik står ensam längst ned på en sida.",
)

KNOWN_GAPS = (
    "Den automatiska granskningen hittar ungefär hälften av alla typer av brister. Rapporten har "
    "inte granskats manuellt med skärmläsare.",
    "PDF-filen har inte validerats med ett fristående verktyg för PDF/UA (som veraPDF); "
    "taggningen kommer från verktyget som skriver PDF:en.",
    "Diagrammens tabeller finns på webbsidorna; i PDF-filen har diagrammen bara "
    "alternativtext.",
    "Breda tabeller (känslighetsanalysen, kundtabellerna) får inte plats i textspalten på en "
    "datorskärm heller: de sista kolumnerna syns först när tabellen rullas i sidled.",
    "Några knappar i sidans ram (temaväljaren, helskärm, nedladdning) kommer från "
    "publiceringsverktyget och har delvis engelska verktygstips.",
)


def accessibility_page(model: PriceModelInput) -> str:
    """The statement as MyST Markdown (no data from the user goes into it but the year)."""
    bullets = "\n".join(f"- {text}" for text in TESTED)
    gaps = "\n".join(f"- {text}" for text in KNOWN_GAPS)
    return "\n".join(
        [
            "# Tillgänglighetsredogörelse",
            "",
            f"Serviceförvaltningen publicerar årsrapporten om prismodellen för prislistan "
            f"{model.price_list_year} som webbsidor och som PDF. Enligt lagen (2018:1937) om "
            "tillgänglighet till digital offentlig service ska den uppfylla WCAG 2.1 nivå AA. "
            "Den här sidan beskriver hur rapporten har testats och vilka brister vi känner till.",
            "",
            "## Så har rapporten testats",
            "",
            "Rapporten testas automatiskt varje gång den byggs:",
            "",
            bullets,
            "",
            "## Kända brister",
            "",
            gaps,
            "",
            "## Kontakt",
            "",
            "Upplever du att något i rapporten inte är tillgängligt, eller behöver du innehållet i "
            "ett annat format, kontakta serviceförvaltningen, verksamhetsområde Ekonomi. Är du "
            "inte nöjd med svaret kan du anmäla det till Myndigheten för digital förvaltning "
            "(Digg), som har tillsyn över lagen.",
            "",
        ]
    )
