"""The managers' harvest dashboard: project names, failing repositories first, truthful dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from registry.projects.tables import Project, Repository
from tests.conftest import login


async def _repository(slug: str, title: str, url: str, **values) -> None:
    project = await Project.objects().get(Project.slug == slug)
    if project is None:
        project = Project(slug=slug, title=title, public_title=title)
        await project.save()
    await Repository(project=project.id, url=url, forge="github", **values).save()


async def test_failing_first_with_names_and_translated_error(client, make_user) -> None:
    now = datetime.now(UTC)
    await _repository("aaa-outil", "Outil qui marche", "https://github.com/hdh/ok",
                      last_success_at=now - timedelta(days=5), last_attempt_at=now - timedelta(days=5))
    await _repository("zzz-pseudo", "Pseudonymisation", "https://github.com/hdh/ko",
                      last_success_at=now - timedelta(days=9), last_attempt_at=now - timedelta(hours=2),
                      last_error="quota de requêtes épuisé ; nouvel essai dans 4 heures",
                      last_error_at=now - timedelta(hours=2), consecutive_failures=3)
    await _repository("mmm-nouveau", "Jamais collecté", "https://github.com/hdh/new")
    manager = await make_user("manager")
    await login(client, manager.email)
    page = await client.get("/manage/harvest?lang=fr")
    table = page.text.split('id="harvest-repositories"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row"><a href="/projects/([a-z-]+)">([^<]+)</a><br><span class="meta">\1</span>',
                       table)
    # The failing one first, then the others by project name.
    assert names == [("zzz-pseudo", "Pseudonymisation"), ("mmm-nouveau", "Jamais collecté"),
                     ("aaa-outil", "Outil qui marche")]
    failing = table.split("Pseudonymisation")[1].split("</tr>")[0]
    assert "quota de requêtes épuisé" in failing and "nouvel essai" not in failing
    assert "3 échecs de suite" in failing and "il y a 2 heures" in failing
    assert "1 dépôt en échec de collecte." in page.text
    ok = table.split("Outil qui marche")[1].split("</tr>")[0]
    assert ok.count("il y a 5 jours") == 2 and "jamais" not in ok
    never = table.split("Jamais collecté")[1].split("</tr>")[0]
    assert never.count("jamais") == 2
    assert "Le journal des collectes est vide" in page.text and "Aucune collecte" not in page.text
    english = await client.get("/manage/harvest?lang=en")
    failing_en = english.text.split("Pseudonymisation")[1].split("</tr>")[0]
    assert "request quota used up" in failing_en and "quota de requêtes" not in failing_en
    assert "Last success" in english.text and "2 hours ago" in failing_en
