"""The "attestation de dépôt" as a PDF: what the submitted version holds, its hash and the sworn statement.

Written with fpdf2 in DejaVu Sans (shipped in app/fonts/, Bitstream Vera licence): core PDF fonts stop
at Latin-1, and applicants type ’, œ, € and more. The text follows the reader's language.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fpdf import FPDF

from app.i18n import current_language
from app.i18n import gettext as _
from app.web.templating import _filesize, _money, _when

FONTS = Path(__file__).resolve().parent.parent / "fonts"


class _Receipt(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, f"{self.page_no()}/{{nb}}", align="C")


def receipt_pdf(*, version: dict[str, Any], call: Any, owner_name: str, label_names: dict[str, str],
                questions: list[dict[str, Any]] | None = None) -> bytes:
    """`version`: the ApplicationVersion row (number, submitted_at, sha256, content, attestation);
    `questions`: the call's questions in the version the content answered."""
    from registry.calls.questions import answer_rows, answer_text

    content = json.loads(version["content"])
    pdf = _Receipt(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(_("Attestation de dépôt") + f" — {content['title']}")
    pdf.set_lang(current_language.get())
    pdf.set_creator("AMI")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.ln(2)
        pdf.multi_cell(width, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def fact(label: str, value: Any) -> None:
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(width, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(width, 5, str(value) if value not in (None, "") else "—", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    organisation = content.get("organisation") or {}
    heading(_("Attestation de dépôt"), 16)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width, 5, _("Ce document atteste le dépôt de la candidature ci-dessous et du contenu exact "
                               "transmis, identifié par son empreinte SHA-256."), new_x="LMARGIN", new_y="NEXT")
    heading(_("Dépôt"))
    fact(_("Appel"), f"{call.title_fr} ({call.slug})")
    fact(_("Date limite de dépôt"), _when(call.closes_at, "full"))
    fact(_("Candidature"), f"n° {content['application_id']}")
    fact(_("Porteur"), f"{owner_name} <{content['owner']}>" if owner_name else content["owner"])
    org = organisation.get("name") or ""
    if organisation.get("siren"):
        org += f" — SIREN {organisation['siren']}"
    if organisation.get("ror"):
        org += f" — ROR {organisation['ror']}"
    fact(_("Organisme"), org)
    fact(_("Co-candidats"), ", ".join(content.get("co_applicants") or []))
    fact(_("Soumise le"), _when(version["submitted_at"], "full"))
    fact(_("Version"), version["number"])
    fact(_("Empreinte SHA-256 du contenu"), version["sha256"])

    heading(_("Contenu déposé"))
    fact(_("Titre du projet"), content["title"])
    fact(_("Titre en langage clair"), content["public_title"])
    fact(_("Résumé en langage clair"), content["public_summary"])
    fact(_("Description détaillée"), content["description"])
    fact(_("Montant demandé"), _money(content["requested_amount"]))
    fact(_("Dépôts prévus"), "\n".join(content.get("repositories") or []))
    fact(_("Licence envisagée"), content["licence"])
    fact(_("Étiquettes"), ", ".join(label_names.get(slug, slug) for slug in content.get("labels") or []))

    files = content.get("attachments") or []
    if questions:
        heading(_("Réponses aux questions de l’appel"))
        lang = current_language.get()
        for row in answer_rows(questions, content.get("answers") or {}):
            name = (row.get("label_en") if lang == "en" else "") or row["label"]
            fact(name, answer_text(row, lang, yes=_("Oui"), no=_("Non")))

    heading(_("Pièces jointes"))
    if not files:
        fact(_("Pièces jointes"), _("Aucune"))
    for item in files:
        fact(f"{item['filename']} ({_filesize(item['size'])})", f"SHA-256 {item['sha256']}")

    heading(_("Attestation sur l’honneur"))
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width, 5, version.get("attestation") or _("Aucune attestation n’a été donnée pour cette version."),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(width, 4, _("L’empreinte est calculée sur le contenu canonique de la candidature (JSON, clés "
                               "triées, UTF-8, sans espaces) ; voir la documentation."), new_x="LMARGIN",
                   new_y="NEXT")
    return bytes(pdf.output())
