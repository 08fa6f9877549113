"""Issue 14 in Chromium, in French and in English: a manager sets a milestone with a tranche on a project whose
repository is a real local Git server; the harvest finds the release, the milestone is met and the tranche due;
the manager approves and pays it through the confirmation pages; the public project page shows it paid."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from harvesters.run import run_harvest
from registry.projects.tables import Project, Repository
from tests.browser.conftest import squash
from tests.browser.test_journeys import journey_context  # noqa: F401 - the per-language browser context
from tests.harvesters.conftest import (
    MIT,
    git_server,  # noqa: F401 - the local Git server fixture
    make_config,
)
from tests.harvesters.gitserver import git

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["fr", "en"])
async def test_manager_sets_milestone_harvest_meets_it_and_tranche_is_paid(live_server, journey_context,  # noqa: F811
                                                                           make_user, git_server, lang):  # noqa: F811
    base_url, _settings = live_server
    await make_user("manager", email="gestion@hdh.fr", name="Gabrielle Gestion")
    project = Project(slug="algo", title="Algorithme de suivi", amount_granted=50_000)
    await project.save()
    work = git_server.create("algo", {"README.md": "# Algo\n", "LICENSE": MIT})
    git(work, "tag", "v1.9")
    git(work, "push", "-q", "origin", "main", "--tags")
    await Repository(project=project.id, url=git_server.url("algo"), forge="git").save()
    await run_harvest(make_config(), everything=True)

    journey = await journey_context(base_url, lang, "followup")
    journey.user_data |= {"Version 1.10", "Algorithme de suivi"}
    page = journey.page
    await journey.log_in("gestion@hdh.fr")
    await page.goto(f"{base_url}/manage")
    await page.get_by_role("link", name=journey.t("Suivi des projets financés : jalons et tranches")).click()
    await journey.step("list")
    await page.get_by_role("link", name="Algorithme de suivi").click()
    await page.get_by_label(journey.t("Intitulé")).fill("Version 1.10")
    await page.get_by_label(journey.t("Échéance")).fill("2099-01-31")
    await page.get_by_label(journey.t("Livrable vérifié")).select_option("release")
    await page.get_by_label(journey.t("Version minimale (livrable « version publiée »)")).fill("1.10")
    await page.get_by_label(journey.t("Tranche de paiement, en euros (facultatif)")).fill("20000")
    await page.get_by_role("button", name=journey.t("Ajouter le jalon")).click()
    await journey.status("Le jalon a été ajouté.")
    row = page.locator("#milestones tbody tr").first
    await expect(row.locator(".milestone-status")).to_have_text(journey.t("En attente"))  # v1.9 < 1.10
    await journey.step("pending")

    git(work, "tag", "v1.10")
    git(work, "push", "-q", "origin", "main", "--tags")
    await run_harvest(make_config(), everything=True)
    await page.reload()
    await expect(row.locator(".milestone-status")).to_have_text(journey.t("Atteint"))
    await expect(row.locator(".tranche-state")).to_have_text(journey.t("Exigible"))
    await expect(row.get_by_role("link", name="v1.10")).to_be_visible()
    await journey.step("met")

    await row.get_by_role("button", name=journey.t("Approuver la tranche")).click()
    await journey.step("approve-confirm")
    await page.locator("main").get_by_role("button", name=journey.t("Approuver la tranche")).click()
    await journey.status("La tranche a été approuvée.")
    await row.get_by_role("button", name=journey.t("Enregistrer le paiement")).click()
    await page.locator("main").get_by_role("button", name=journey.t("Enregistrer le paiement")).click()
    await journey.status("Le paiement de la tranche a été enregistré.")
    await expect(row.locator(".tranche-state")).to_have_text(journey.t("Payée"))

    await page.goto(f"{base_url}/projects/algo")
    public = page.locator("#project-milestones tbody tr").first
    await expect(public.locator(".tranche-state")).to_have_text(journey.t("Payée"))
    assert "20" in squash(await page.locator("#amount-paid").inner_text())
    await journey.step("public")
    journey.done()
