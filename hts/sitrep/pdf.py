"""The week-ending SITREP as a PDF laid out for a committee paper (fpdf2, imported only here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from hts.sitrep.report import CASEWORK_KEYS, COMPLIANCE_KEYS, DEFINITIONS, LABEL, headlines

REPORT_TITLE = "Home to school transport: week-ending report"


class A4Document(FPDF):
    """An A4 document with its title, period and page number at the foot of every page.

    Shared by every PDF hts makes (the SITREP here, run sheets in hts.operations.runsheets).
    """

    def __init__(self, *, title: str, footer_text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_title = title
        self.footer_text = footer_text

    def footer(self) -> None:
        """The document, its period and 'page n of m'."""
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"{self.document_title} - {self.footer_text} - page {self.page_no()} of {{nb}}",
                  align="C")


def new_a4(*, title: str, footer_text: str, full_title: str, author: str) -> A4Document:
    """A portrait A4 document with hts's margins, metadata and page numbering, on its first page."""
    pdf = A4Document(title=title, footer_text=footer_text, format="A4", unit="mm")
    pdf.set_title(full_title)
    pdf.set_author(author or "hts")
    pdf.set_creator("hts")
    pdf.set_lang("en-GB")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def week_pdf(*, week: Mapping[str, Any], days: list[Mapping[str, Any]], config: Mapping[str, Any],
             produced_on: dt.date, council: str = "") -> bytes:
    """The week's SITREP laid out for a committee paper (A4): figures with targets, days, definitions."""
    start, end = dt.date.fromisoformat(week["period_start"]), dt.date.fromisoformat(week["period_end"])
    pdf = new_a4(title=REPORT_TITLE, footer_text=f"Week ending {end:%-d %B %Y}",
                 full_title=f"{REPORT_TITLE}, week ending {end:%-d %B %Y}", author=council)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))

    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, REPORT_TITLE, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(0, 7, f"Week ending Friday {end:%-d %B %Y} (Monday {start:%-d %B} to Friday {end:%-d %B %Y})",
                   align="L", new_x="LMARGIN", new_y="NEXT")
    if council:
        pdf.multi_cell(0, 7, council, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    def section(title: str) -> None:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, title, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    section("1. Performance against targets")
    with pdf.table(col_widths=(40, 22, 58, 20, 34), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"),
                   headings_style=heading, line_height=5.5) as table:
        table.row(["Measure", "Result", "Count", "Target", "Status"])
        for item in headlines(week, config):
            table.row([item.label, _pct(item.value), f"{item.numerator:,} of {item.denominator:,} {item.noun}",
                       f"{item.target:.2f}%", item.status.words])
    pdf.ln(3)

    section("2. Day by day")
    with pdf.table(col_widths=(34, 24, 26, 26, 30, 34), text_align=("LEFT", *["RIGHT"] * 5),
                   headings_style=heading, line_height=5.5) as table:
        table.row(["Day", "Routes", "Delivered", "On time", "Transported", "Calls answered"])
        for row in days:
            table.row([row["day"].strftime("%a %-d %b"), f"{row['routes_scheduled'] or 0:,}",
                       _pct(row["routes_delivered_pct"]), _pct(row["routes_on_time_pct"]),
                       _pct(row["pupils_transported_pct"]), _pct(row["calls_answered_pct"])])
    pdf.ln(3)

    section("3. Casework and compliance at the end of the week")
    with pdf.table(col_widths=(120, 54), text_align=("LEFT", "RIGHT"), headings_style=heading,
                   line_height=5.5) as table:
        table.row(["Measure", "Number"])
        for key in (*CASEWORK_KEYS, *COMPLIANCE_KEYS):
            if key in week:
                table.row([LABEL[key], f"{week[key]:,}"])
    pdf.ln(3)

    section("Definitions")
    pdf.set_font("Helvetica", "", 9)
    for note in DEFINITIONS:
        pdf.multi_cell(0, 5, f"- {note}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, f"Status: 'Target met' at or above the target; 'Below target' within "
                         f"{float(config['TARGET_AMBER_MARGIN_PCT']):.2f} points of it; 'Well below target' "
                         f"further below. Produced by hts on {produced_on:%-d %B %Y}.",
                   align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

