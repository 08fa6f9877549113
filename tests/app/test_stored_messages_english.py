"""Licence and harvest errors read in English on English pages (stored French sentences included)."""

from __future__ import annotations

import html as htmllib
from datetime import UTC, datetime, timedelta

import pytest

from app.i18n import current_language, translate_stored
from harvesters.errors import answered, repeated
from registry.harvest.timefmt import french_time
from tests.applications.helpers import draft, open_call
from tests.conftest import csrf_from, login


@pytest.fixture
def english():
    token = current_language.set("en")
    yield
    current_language.reset(token)


def test_nested_harvest_reasons_are_translated_with_their_parameters(english):
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    reason = (f"la liste des étiquettes s'est interrompue page 2 : {repeated(answered('GitHub', 502), 3)}"
              f" ; nouvel essai {french_time(now + timedelta(days=1), now=now)}")
    assert reason == ("la liste des étiquettes s'est interrompue page 2 : GitHub a répondu 502 (erreur du "
                      "serveur) trois fois ; nouvel essai le 4 décembre à 11 h 00")
    assert translate_stored(reason) == ("the list of tags stopped at page 2: GitHub answered 502 (server error), "
                                        "three times; next try on 4 December at 11:00")
    assert translate_stored("adresse refusée : l'hôte « git.example.org » mène à une adresse de bouclage "
                            "(127.0.0.1)") == ("address refused: the host “git.example.org” leads to a loopback "
                                               "address (127.0.0.1)")
    assert translate_stored("un texte que le catalogue ne connaît pas") == "un texte que le catalogue ne connaît pas"


def test_stored_sentences_stay_french_in_french():
    assert translate_stored(answered("GitHub", 502)) == "GitHub a répondu 502 (erreur du serveur)"


async def test_project_and_harvest_pages_show_the_last_error_in_english(client, make_user):
    from registry.demo import load_demo
    from registry.projects.tables import Project, Repository

    await load_demo()
    repository = await Repository.objects().first()
    project = await Project.objects().get(Project.id == repository.project)
    stored = f"{repeated(answered('GitHub', 503), 3)} ; nouvel essai à 9 h 05"
    await Repository.update({Repository.last_error: stored, Repository.last_error_at: datetime.now(UTC)}).where(
        Repository.id == repository.id)
    english = htmllib.unescape((await client.get(f"/projects/{project.slug}?lang=en")).text)
    assert "GitHub answered 503 (server error), three times" in english
    assert "a répondu" not in english
    french = htmllib.unescape((await client.get(f"/projects/{project.slug}?lang=fr")).text)
    assert "GitHub a répondu 503 (erreur du serveur) trois fois" in french
    manager = await make_user("manager", email="harvest@example.org")
    await login(client, manager.email)
    harvest = htmllib.unescape((await client.get("/manage/harvest?lang=en")).text)
    assert "GitHub answered 503 (server error), three times" in harvest and "a répondu" not in harvest


@pytest.mark.parametrize(("licence", "english_message"), [
    ("MIT AND AND", "Invalid SPDX expression: “MIT AND AND” is not a valid SPDX licence expression."),
    ("GPL-2.0-only", "Licence not allowed for this call: GPL-2.0-only is not on the list of allowed licences. "
                     "Allowed licences: EUPL-1.2, MIT."),
])
async def test_licence_errors_on_the_english_form(client, make_user, licence, english_message):
    manager = await make_user("manager")
    owner = await make_user("applicant")
    await open_call(manager, policy=["MIT", "EUPL-1.2"])
    application = await draft(owner)
    await login(client, owner.email)
    form = await client.get(f"/applications/{application.id}/edit?lang=en")
    response = await client.post(f"/applications/{application.id}/edit?lang=en", data={
        "_csrf_token": csrf_from(form.text), "title": application.title, "licence": licence})
    page = htmllib.unescape(response.text)
    # The draft is saved with the value kept as typed and its message beside the field.
    assert response.status_code == 200 and 'id="error-licence"' in page, page[-3000:]
    assert english_message in page
    assert "Expression SPDX invalide" not in page and "Licence non autorisée pour cet appel" not in page
