"""Demo progress reports on the demo funded projects: requested, draft, submitted, more requested,
accepted and published (written directly, without mails; idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.accounts.tables import User
from registry.projects.tables import Project
from registry.reports.access import is_member
from registry.reports.reminders import paris_day
from registry.reports.tables import Report

APPLICANT = "candidate@demo.ami.fr"
MANAGER = "gestionnaire@demo.ami.fr"

CONTENT = {
    "summary": "Première version publiée et déployée dans deux entrepôts de données hospitaliers ; la "
               "documentation d’installation est en ligne.",
    "achievements": "Version 1.0 publiée sous licence EUPL-1.2 ; tutoriel ; deux ateliers avec les utilisateurs.",
    "difficulties": "Délais d’accès aux données de test plus longs que prévu.",
    "next_steps": "Prise en charge du format OMOP-CDM et tests de charge.",
    "data_ethics": "Données synthétiques uniquement pour les tests ; aucun accès aux données réelles.",
}


async def load_demo_reports() -> None:
    projects = await Project.select(Project.id, Project.slug).order_by(Project.slug)
    if not projects:
        return
    manager = await User.select(User.id).where(User.email == MANAGER).first()
    applicant = await User.select(User.id, User.name).where(User.email == APPLICANT).first()
    manager_id = manager["id"] if manager else None
    now = datetime.now(UTC)
    today = paris_day(now)
    # The demo applicant's project (when the team area made her a member) gets a report to write.
    mine = None
    if applicant:
        for project in projects:
            if await is_member(project["id"], applicant["id"]):
                mine = project
                break
    others = [p for p in projects if p is not mine]
    plans = [("requested", 20), ("draft", 5), ("submitted", -10), ("accepted", -60), ("more_requested", -3)]
    targets = list(others)
    if await Report.exists():  # loaded before: only the applicant's report may still be missing
        plans, targets = [], []
    if mine is not None and not await Report.exists().where(Report.project == mine["id"]):
        plans = [("requested", 12)] + plans
        targets = [mine] + targets
    for (state, days), project in zip(plans, targets, strict=False):
        due = today + timedelta(days=days)
        start = due - timedelta(days=182)
        report = Report(project=project["id"], due_on=due, period_label=f"{start.isoformat()} → {due.isoformat()}",
                        period_start=start, period_end=due, state=state, requested_by=manager_id,
                        requested_at=now - timedelta(days=40 - days), updated_at=now,
                        request_note="Merci de décrire l’avancement du semestre, en particulier les versions "
                                     "publiées." if state == "requested" else "")
        if state != "requested":
            report.summary = CONTENT["summary"]
            report.achievements = CONTENT["achievements"]
            report.revision = 1
        if state in ("submitted", "accepted", "more_requested"):
            for name, text in CONTENT.items():
                setattr(report, name, text)
            report.submitted_at = datetime.combine(due, datetime.min.time(), UTC) - timedelta(days=2)
        if state in ("accepted", "more_requested"):
            report.decided_at = report.submitted_at + timedelta(days=3)
            report.decided_by = manager_id
        if state == "accepted":
            report.feedback = "Merci pour ce rapport clair."
            report.published = True
            report.published_at = report.decided_at
        if state == "more_requested":
            report.feedback = "Pouvez-vous préciser le calendrier de la prise en charge d’OMOP-CDM ?"
        await report.save()
