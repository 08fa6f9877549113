"""Server-rendered, accessible SVG bar charts: role="img", <title>/<desc>, values written on each bar.

Each chart is shown next to a data table with the same figures, so nothing depends on seeing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

WIDTH = 640
BAR = 22
GAP = 10
LABEL_WIDTH = 230
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


def _format(value: float, unit: str) -> str:
    if unit == "€":
        return f"{int(value):,}".replace(",", "\u202f") + " €"
    if unit == "%":
        return f"{value:.0f} %"
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
        shown = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13" '
            f'fill="#161616">{escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" '
            f'fill="url(#{chart_id}-p{pattern % len(PATTERNS)})" stroke="#161616" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" '
            f'fill="#161616">{escape(_format(value, unit))}</text>'
        )
    if not data:
        parts.append(f'<text x="10" y="{BAR}" font-size="13" fill="#161616">—</text>')
    parts.append("</svg>")
    rows = [(label, _format(value, unit)) for label, value in data]
    return Chart(chart_id, title, description, columns, rows, "".join(parts))


def statistics_charts(figures: dict[str, Any], t: Callable[[str], str] = str) -> list[Chart]:
    """`t` translates the French texts (the app passes its gettext)."""
    compliance = figures["compliance"]
    return [
        bar_chart(
            "funding-call",
            t("Financement par appel"),
            t("Montant total accordé pour chaque appel, en euros."),
            [(row["title"], row["amount"]) for row in figures["funding_per_call"]],
            unit="€",
            columns=(t("Appel"), t("Montant accordé")),
        ),
        bar_chart(
            "funding-theme",
            t("Financement par thème"),
            t("Montant accordé aux projets portant chaque thème ; un projet à plusieurs thèmes compte dans chacun."),
            [(row["name"], row["amount"]) for row in figures["funding_per_theme"]],
            unit="€",
            columns=(t("Thème"), t("Montant accordé")),
            pattern=1,
        ),
        bar_chart(
            "releases-month",
            t("Versions publiées par mois"),
            t("Nombre de versions publiées chaque mois, sur les douze derniers mois."),
            [(row["month"], row["count"]) for row in figures["releases_per_month"]],
            columns=(t("Mois"), t("Versions")),
        ),
        bar_chart(
            "licences",
            t("Licences des projets"),
            t("Nombre de projets par licence (identifiant SPDX)."),
            [(row["licence"], row["count"]) for row in figures["licences"]],
            columns=(t("Licence"), t("Projets")),
            pattern=1,
        ),
        bar_chart(
            "compliance",
            t("Conformité des licences"),
            t("%(rate)s %% des projets dont la licence est connue utilisent une licence autorisée.")
            % {"rate": f"{compliance['rate']:.0f}"},
            [
                (t("Licence autorisée"), compliance["compliant"]),
                (t("Licence non autorisée"), compliance["non_compliant"]),
                (t("Licence inconnue"), compliance["unknown"]),
            ],
            columns=(t("Situation"), t("Projets")),
        ),
        bar_chart(
            "freshness",
            t("Fraîcheur de la collecte"),
            t("Nombre de dépôts selon l'âge de leur dernière collecte réussie."),
            [(t(row["bucket"]), row["count"]) for row in figures["freshness"]],
            columns=(t("Dernière collecte"), t("Dépôts")),
            pattern=1,
        ),
    ]


def score_distribution_chart(buckets: list[dict[str, Any]], t: Callable[[str], str] = str) -> Chart:
    return bar_chart(
        "scores",
        t("Distribution des notes"),
        t("Nombre de candidatures par tranche de note moyenne (sur 100), sans identifier les candidatures."),
        [(row["bucket"], row["count"]) for row in buckets],
        columns=(t("Note moyenne"), t("Candidatures")),
    )
