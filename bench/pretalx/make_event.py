"""Run with the throw-away pretalx venv's Python (never the project's): creates an organiser and a
public event whose call for proposals is open, with a French/English CfP text of about the size of
ours. Idempotent: does nothing if the event exists. Prints the event slug."""

from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretalx.settings")

import django  # noqa: E402

django.setup()

from django.utils.timezone import now  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from pretalx.event.models import Event, Organiser  # noqa: E402

SLUG = "ami-bench"
TEXT = (
    "Cet appel finance des algorithmes ouverts pour les données de santé publiques. "
    "Les projets retenus publient leur code sous une licence libre et leurs versions dans le registre. "
) * 6

with scopes_disabled():
    if not Event.objects.filter(slug=SLUG).exists():
        organiser, _ = Organiser.objects.get_or_create(slug="bench", defaults={"name": "Banc d'essai"})
        today = dt.date.today()
        event = Event.objects.create(
            name="AMI banc d'essai",
            slug=SLUG,
            organiser=organiser,
            is_public=True,
            date_from=today + dt.timedelta(days=120),
            date_to=today + dt.timedelta(days=122),
            timezone="Europe/Paris",
            email="orga@example.org",
            locale="fr",
            locale_array="fr,en",
            content_locale_array="fr,en",
        )
        cfp = event.cfp
        cfp.text = TEXT
        cfp.headline = "Appel à projets ouvert"
        cfp.deadline = now() + dt.timedelta(days=60)
        cfp.save()
    event = Event.objects.get(slug=SLUG)
    assert event.cfp.is_open, "the CfP should be open"
    print(event.slug)
