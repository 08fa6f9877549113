"""Demo data: one account per role, the label taxonomy, then each area's own demo content."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from registry.accounts.service import create_user, normalise_email
from registry.accounts.tables import User
from registry.labels.taxonomy import load_taxonomy

log = logging.getLogger("ami.demo")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    name: str
    password: str
    organisation: str


DEMO_ACCOUNTS = [
    DemoAccount("applicant", "candidate@demo.ami.fr", "Camille Martin", "demo-candidat-2027", "AP-HP"),
    DemoAccount("reviewer", "evaluateur@demo.ami.fr", "Dr Nadia Benali", "demo-evaluateur-2027", "Inserm"),
    DemoAccount("manager", "gestionnaire@demo.ami.fr", "Luc Moreau", "demo-gestion-2027", "Health Data Hub"),
    DemoAccount("admin", "admin@demo.ami.fr", "Sophie Lambert", "demo-admin-2027", "Health Data Hub"),
]

# Each area contributes its own loader; they run in this order, skipped if the area is absent.
AREA_LOADERS = [
    ("registry.calls.demo", "load_demo_calls"),
    ("registry.projects.demo", "load_demo_projects"),
    ("registry.reviews.demo", "load_demo_reviews"),
    ("registry.team.demo", "load_demo_team"),  # after projects and reviews (their releases)
    ("registry.reports.demo", "load_demo_reports"),  # after projects (and the team, when loaded)
    ("registry.enquiries.demo", "load_demo_enquiries"),
]


async def ensure_demo_accounts() -> dict[str, int]:
    ids: dict[str, int] = {}
    for account in DEMO_ACCOUNTS:
        user = await User.objects().get(User.email == normalise_email(account.email))
        if user is None:
            user = await create_user(email=account.email, name=account.name, password=account.password,
                                     roles=[account.role], verified=True, organisation=account.organisation)
        ids[account.role] = user.id
    return ids


async def load_demo() -> list[str]:
    """Idempotent; returns one line per step for the command line."""
    lines = []
    users = await ensure_demo_accounts()
    lines.append(f"comptes de démonstration : {len(users)}")
    lines.append(f"étiquettes créées : {await load_taxonomy()}")
    for module_name, function_name in AREA_LOADERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        loader = getattr(module, function_name)
        if function_name == "load_demo_calls":
            await loader(users)
        else:
            await loader()
        lines.append(f"{module_name} : chargé")
    return lines
