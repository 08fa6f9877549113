"""A call in review with submitted applications, reviewers and a manager, built from real rows."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from registry.accounts.permissions import Actor


def actor_of(user, *roles: str) -> Actor:
    return Actor(id=user.id, email=user.email, name=user.name, roles=frozenset(roles))


@dataclass
class World:
    call: object
    manager: object
    applicant: object
    reviewers: list
    applications: list
    labels: dict = field(default_factory=dict)

    @property
    def manager_actor(self) -> Actor:
        return actor_of(self.manager, "manager")

    def reviewer_actor(self, index: int) -> Actor:
        return actor_of(self.reviewers[index], "reviewer")


CRITERIA = [("Qualité scientifique", 40, 4, 2.0), ("Impact", 30, 4, None), ("Ouverture", 30, 5, None)]


@pytest.fixture
def make_world(make_user):
    from registry.applications.tables import Application, ApplicationLabel, CoApplicant
    from registry.calls.tables import Call, Criterion
    from registry.labels.tables import Label

    async def factory(*, blind: bool = False, reviewers: int = 3, applications: int = 2, per_application: int = 2,
                      visibility: str = "after_own", status: str = "in_review", budget: int = 100_000) -> World:
        manager = await make_user("manager", email="gestion@hdh.fr", name="Luc Gestionnaire")
        applicant = await make_user("applicant", email="porteuse@chu-exemple.fr", name="Camille Porteuse",
                                    organisation="CHU Exemple")
        pool = [await make_user("reviewer", email=f"eval{i}@labo{i}.fr", name=f"Évaluateur Numéro{i}",
                                organisation=f"Labo {i}") for i in range(reviewers)]
        now = datetime.now(UTC)
        call = Call(slug="ami-test", title_fr="AMI test", budget_total=budget, amount_min=1000, amount_max=80_000,
                    opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1), blind=blind,
                    reviews_per_application=per_application, reviews_visibility=visibility, status=status,
                    published_at=now - timedelta(days=61))
        await call.save()
        for position, (name, weight, scale, elim) in enumerate(CRITERIA):
            await Criterion(call=call.id, position=position, name=name, weight=weight, scale_max=scale,
                            eliminatory_below=elim).save()
        label = Label(slug="fhir", category="standard", name_fr="FHIR", name_en="FHIR")
        await label.save()
        rows = []
        for i in range(applications):
            application = Application(
                call=call.id, owner=applicant.id, state="submitted", title=f"Projet secret {i}",
                public_title=f"Titre public {i}", public_summary="Résumé grand public.",
                description="Description détaillée.", requested_amount=50_000,
                repositories=["https://github.com/chu-exemple/outil", "https://gitlab.com/hdh/outil",
                              "https://git.example.org/outil.git"],
                licence="MIT", org_name="CHU Exemple", submitted_at=now - timedelta(days=2))
            await application.save()
            await ApplicationLabel(application=application.id, label=label.id).save()
            await CoApplicant(application=application.id, email="coporteur@chu-exemple.fr").save()
            rows.append(application)
        return World(call=call, manager=manager, applicant=applicant, reviewers=pool, applications=rows,
                     labels={"fhir": label.id})

    return factory


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def send(self, *, to: str, template: str, language: str = "fr", context: dict | None = None):
        self.sent.append({"to": to, "template": template, "context": context or {}})


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


def outbox_messages(settings) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every .eml written by the app's mailer."""
    folder = Path(settings.var_dir) / "outbox"
    messages = []
    for path in sorted(folder.glob("*.eml")) if folder.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages.append((message["To"], message["Subject"], message.get_content()))
    return messages


def clear_outbox(settings) -> None:
    folder = Path(settings.var_dir) / "outbox"
    for path in folder.glob("*.eml") if folder.is_dir() else []:
        path.unlink()
