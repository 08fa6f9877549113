"""Server-rendered, accessible SVG bar charts: role="img", <title>/<desc>, values written on each bar.

Each chart is shown next to a data table with the same figures, so nothing depends on seeing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from babel.dates import format_date

from registry.errors import N_

WIDTH = 660
BAR = 22
GAP = 10
LABEL_WIDTH = 250
# Longest label written beside a bar (13 px text, at most ~7.5 px a character, fits LABEL_WIDTH);
# longer ones are cut with "…", the full text is in the bar's tooltip and in the data table.
LABEL_CHARS = 30



# The freshness buckets of registry.stats, translated when the chart is drawn.
FRESHNESS_BUCKETS = (N_("moins de 24 h"), N_("1 à 7 jours"), N_("plus de 7 jours"), N_("jamais"))
# Hatched patterns so bars differ by texture, not only by colour.
PATTERNS = (
    '<pattern id="{id}-p0" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#000091"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/>'
    "</pattern>",
    '<pattern id="{id}-p1" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#18753c"/><circle cx="3" cy="3" r="1.2" fill="#fff"/></pattern>',
)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    columns: tuple[str, str]
    rows: list[tuple[str, str]]  # (label, formatted value) for the data table
    svg: str


def _format(value: float, unit: str, language: str = "fr") -> str:
    """« 995 000 € » in French, "€995,000" in English."""
    if unit == "€":
        if language == "en":
            return f"€{int(value):,}"
        return f"{int(value):,}".replace(",", "\u202f") + " €"
    if unit == "%":
        return f"{value:.0f}%" if language == "en" else f"{value:.0f} %"
    return f"{int(value)}"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    data: list[tuple[str, float]],
    *,
    unit: str = "",
    columns: tuple[str, str] = ("", ""),
    pattern: int = 0,
    language: str = "fr",
) -> Chart:
    height = max(1, len(data)) * (BAR + GAP) + GAP
    highest = max((value for _, value in data), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        "<defs>" + PATTERNS[pattern % len(PATTERNS)].format(id=chart_id) + "</defs>",
    ]
    for index, (label, value) in enumerate(data):
        y = GAP + index * (BAR + GAP)
        width = max(1.0, span * value / highest) if value else 0
        shown = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"
        tooltip = f"<title>{escape(label)}</title>" if shown != label else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13" '
            f'fill="#161616">{tooltip}{escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" '
            f'fill="url(#{chart_id}-p{pattern % len(PATTERNS)})" stroke="#161616" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" '
            f'fill="#161616">{escape(_format(value, unit, language))}</text>'
        )
    if not data:
        parts.append(f'<text x="10" y="{BAR}" font-size="13" fill="#161616">—</text>')
    parts.append("</svg>")
    rows = [(label, _format(value, unit, language)) for label, value in data]
    return Chart(chart_id, title, description, columns, rows, "".join(parts))


def _month_label(month: str, language: str) -> str:
    """« mars 2026 » / "Mar 2026" from "2026-03"."""
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "MMM y", locale=language)


def statistics_charts(figures: dict[str, Any], t: Callable[[str], str] = str, language: str = "fr") -> list[Chart]:
    """`t` translates the French texts (the app passes its gettext); `language` picks call and theme names."""
    _ = t  # so that `pybabel extract` sees the messages below
    compliance = figures["compliance"]
    english = language == "en"
    return [
        bar_chart(
            "funding-call",
            _("Financement par appel"),
            _("Montant total accordé pour chaque appel, en euros."),
            [((row.get("title_en") if english else None) or row["title"], row["amount"])
             for row in figures["funding_per_call"]],
            unit="€",
            language=language,
            columns=(_("Appel"), _("Montant accordé")),
        ),
        bar_chart(
            "funding-theme",
            _("Financement par thème"),
            _("Montant accordé aux projets portant chaque thème ; un projet à plusieurs thèmes compte dans chacun."),
            [((row.get("name_en") if english else None) or row["name"], row["amount"])
             for row in figures["funding_per_theme"]],
            unit="€",
            language=language,
            columns=(_("Thème"), _("Montant accordé")),
            pattern=1,
        ),
        bar_chart(
            "releases-month",
            _("Versions publiées par mois"),
            _("Nombre de versions publiées chaque mois, sur les douze derniers mois."),
            [(_month_label(row["month"], language), row["count"]) for row in figures["releases_per_month"]],
            columns=(_("Mois"), _("Versions")),
        ),
        bar_chart(
            "licences",
            _("Licences des projets"),
            _("Nombre de projets par licence (identifiant SPDX)."),
            [(row["licence"], row["count"]) for row in figures["licences"]],
            columns=(_("Licence"), _("Projets")),
            pattern=1,
        ),
        bar_chart(
            "compliance",
            _("Conformité des licences"),
            _("%(rate)s %% des projets dont la licence est connue utilisent une licence autorisée.")
            % {"rate": f"{compliance['rate']:.0f}"},
            [
                (_("Licence autorisée"), compliance["compliant"]),
                (_("Licence non autorisée"), compliance["non_compliant"]),
                (_("Licence inconnue"), compliance["unknown"]),
            ],
            columns=(_("Situation"), _("Projets")),
        ),
        bar_chart(
            "freshness",
            _("Fraîcheur de la collecte"),
            _("Nombre de dépôts selon l'âge de leur dernière collecte réussie."),
            [(_(row["bucket"]), row["count"]) for row in figures["freshness"]],
            columns=(_("Dernière collecte"), _("Dépôts")),
            pattern=1,
        ),
    ]


def score_distribution_chart(buckets: list[dict[str, Any]], t: Callable[[str], str] = str) -> Chart:
    _ = t
    return bar_chart(
        "scores",
        _("Distribution des notes"),
        _("Nombre de candidatures par tranche de note moyenne (sur 100), sans identifier les candidatures."),
        [(row["bucket"], row["count"]) for row in buckets],
        columns=(_("Note moyenne"), _("Candidatures")),
    )
