"""Attachment downloads: names outside Latin-1 (RFC 6266 / 5987) and, for blind calls, no PDF metadata.

The files are uploaded through the applicant's form, then downloaded by the applicant (page and API) and by
an assigned reviewer (review page, and the applications area for a non-blind call).
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from registry.applications.tables import Application, Attachment
from registry.calls.tables import Call
from registry.reviews.assigning import assign_call_automatically
from registry.reviews.reviewing import declare
from tests.conftest import csrf_from, login

NAME = "Plan d’œuvre 計画.pdf"
NAME_HEADER = ("attachment; filename=\"Plan d'oeuvre.pdf\"; "
               "filename*=UTF-8''Plan%20d%E2%80%99%C5%93uvre%20%E8%A8%88%E7%94%BB.pdf")
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Camille Porteuse XMP</rdf:li>'
       b'</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
PAGE_TEXT = b"BT /F1 12 Tf 72 720 Td (Texte du dossier, non anonymise) Tj ET"


def identified_pdf() -> bytes:
    """Two pages with content, and the applicant's name in every metadata slot."""
    writer = PdfWriter()
    for size in (595, 612):
        page = writer.add_blank_page(size, 842)
        stream = StreamObject()
        stream.set_data(PAGE_TEXT)
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.add_metadata({"/Author": "Camille Porteuse", "/Title": "Dossier du CHU Exemple",
                         "/Creator": "Traitement de texte de Camille", "/Producer": "CHU Exemple PDF",
                         "/Subject": "Candidature CHU Exemple", "/Keywords": "porteuse, CHU Exemple"})
    writer.xmp_metadata = XMP
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def upload_as_applicant(client, world, name: str, content: bytes) -> Attachment:
    """Opens the call window for a moment (the application back to draft), uploads through the form, then
    puts the call back in review."""
    application = world.applications[0]
    now = datetime.now(UTC)
    await Call.update({Call.status: "published", Call.closes_at: now + timedelta(days=1)}).where(
        Call.id == world.call.id)
    await Application.update({Application.state: "draft"}).where(Application.id == application.id)
    await login(client, world.applicant.email)
    form = await client.get(f"/applications/{application.id}/edit")
    done = await client.post(f"/applications/{application.id}/attachments",
                             data={"_csrf_token": csrf_from(form.text)},
                             files={"attachment": (name, content, "application/pdf")})
    assert done.status_code == 200 and "La pièce jointe a été ajoutée." in done.text
    await Call.update({Call.status: "in_review", Call.closes_at: now - timedelta(hours=1)}).where(
        Call.id == world.call.id)
    await Application.update({Application.state: "submitted"}).where(Application.id == application.id)
    return await Attachment.objects().where(Attachment.application == application.id).first()


async def reviewer_ready(world, client):
    """Both reviewers assigned automatically; the first declares no conflict and the client logs in as
    them. Returns (reviewer, assignment)."""
    created = await assign_call_automatically("ami-test", actor=world.manager_actor)
    assignment = next(a for a in created if a.application == world.applications[0].id)
    index = next(i for i, r in enumerate(world.reviewers) if r.id == assignment.reviewer)
    await declare(assignment.id, actor=world.reviewer_actor(index), conflict=False, attest_confidentiality=True)
    client.cookies.clear()
    await login(client, world.reviewers[index].email)
    return world.reviewers[index], assignment


def metadata_of(content: bytes) -> tuple[dict, bool, list]:
    reader = PdfReader(io.BytesIO(content))
    pages = [(float(p.mediabox.width), p.get_contents().get_data()) for p in reader.pages]
    return dict(reader.metadata or {}), reader.xmp_metadata is not None, pages


async def test_non_latin1_name_downloads_for_applicant_and_reviewer(client, make_world, api_token):
    world = await make_world(applications=1, reviewers=2)
    content = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    row = await upload_as_applicant(client, world, NAME, content)
    assert row.filename == NAME
    application_id = world.applications[0].id
    for url in (f"/applications/{application_id}/attachments/{row.id}",):
        mine = await client.get(url)
        assert mine.status_code == 200 and mine.content == content
        assert mine.headers["content-disposition"] == NAME_HEADER
    api = await client.get(f"/api/v1/applications/{application_id}/attachments/{row.id}",
                           headers=await api_token(world.applicant))
    assert api.status_code == 200 and api.content == content and api.headers["content-disposition"] == NAME_HEADER
    listed = await client.get(f"/api/v1/applications/{application_id}", headers=await api_token(world.applicant))
    assert [a["filename"] for a in listed.json()["attachments"]] == [NAME]

    reviewer, assignment = await reviewer_ready(world, client)
    for url in (f"/reviews/assignments/{assignment.id}/attachments/{row.id}",
                f"/applications/{application_id}/attachments/{row.id}"):
        theirs = await client.get(url)
        assert theirs.status_code == 200, url
        assert theirs.content == content
        assert theirs.headers["content-disposition"] == NAME_HEADER
        assert theirs.headers["x-content-type-options"] == "nosniff"


async def test_blind_call_reviewer_gets_the_pdf_without_metadata(client, make_world, settings):
    world = await make_world(blind=True, applications=1, reviewers=2)
    original = identified_pdf()
    info, has_xmp, pages = metadata_of(original)
    assert info["/Author"] == "Camille Porteuse" and has_xmp and len(pages) == 2
    row = await upload_as_applicant(client, world, "Dossier Camille Porteuse.pdf", original)
    mine = await client.get(f"/applications/{world.applications[0].id}/attachments/{row.id}")
    assert mine.content == original  # the applicant's own copy is untouched

    reviewer, assignment = await reviewer_ready(world, client)
    served = await client.get(f"/reviews/assignments/{assignment.id}/attachments/{row.id}")
    assert served.status_code == 200
    assert served.headers["content-disposition"] == 'attachment; filename="piece-jointe-1.pdf"'
    stripped_info, stripped_xmp, stripped_pages = metadata_of(served.content)
    assert stripped_info == {} and stripped_xmp is False
    assert stripped_pages == pages  # same pages, same content streams
    for secret in (b"Camille", b"CHU Exemple", b"Traitement de texte", b"xmpmeta"):
        assert secret not in served.content
    # The applications area stays closed to reviewers of a blind call.
    assert (await client.get(f"/applications/{world.applications[0].id}/attachments/{row.id}")).status_code == 404
    stored = settings.var_dir / "attachments" / row.stored_name
    assert stored.read_bytes() == original and hashlib.sha256(original).hexdigest() == row.sha256


async def test_non_blind_call_reviewer_gets_the_pdf_unchanged(client, make_world):
    world = await make_world(blind=False, applications=1, reviewers=2)
    original = identified_pdf()
    row = await upload_as_applicant(client, world, "dossier.pdf", original)
    reviewer, assignment = await reviewer_ready(world, client)
    for url in (f"/reviews/assignments/{assignment.id}/attachments/{row.id}",
                f"/applications/{world.applications[0].id}/attachments/{row.id}"):
        served = await client.get(url)
        assert served.status_code == 200 and served.content == original, url
        assert served.headers["content-disposition"] == 'attachment; filename="dossier.pdf"'
        assert metadata_of(served.content)[0]["/Author"] == "Camille Porteuse"


async def test_blind_call_unreadable_pdf_is_not_served_to_reviewers(client, make_world):
    world = await make_world(blind=True, applications=1, reviewers=2)
    broken = b"%PDF-1.4\n/Author (Camille Porteuse) garbage without any object\n"
    row = await upload_as_applicant(client, world, "casse.pdf", broken)
    reviewer, assignment = await reviewer_ready(world, client)
    served = await client.get(f"/reviews/assignments/{assignment.id}/attachments/{row.id}")
    assert served.status_code == 409
    assert "Camille" not in served.text
    assert "Les métadonnées de ce fichier n'ont pas pu être retirées" in served.text.replace("&#39;", "'")


async def test_blind_call_form_tells_applicants_what_is_removed(client, make_world):
    world = await make_world(blind=True, applications=1, reviewers=2)
    now = datetime.now(UTC)
    await Call.update({Call.status: "published", Call.closes_at: now + timedelta(days=1)}).where(
        Call.id == world.call.id)
    await Application.update({Application.state: "draft"}).where(Application.id == world.applications[0].id)
    await login(client, world.applicant.email)
    french = await client.get(f"/applications/{world.applications[0].id}/edit")
    assert 'id="blind-attachments-notice"' in french.text
    assert "métadonnées des documents" in french.text and "n’est pas anonymisé" in french.text
    english = await client.get(f"/applications/{world.applications[0].id}/edit?lang=en")
    assert "document metadata (author, title, software, keywords, XMP metadata) is removed" in english.text
    assert "The text inside the PDFs is not anonymised" in english.text
    await Call.update({Call.blind: False}).where(Call.id == world.call.id)
    plain = await client.get(f"/applications/{world.applications[0].id}/edit")
    assert 'id="blind-attachments-notice"' not in plain.text
