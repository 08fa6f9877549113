"""Demo review data on "ami-2025": a small reviewer pool, balanced assignments, declarations and
reviews, some left to do (idempotent: nothing happens once the call has assignments)."""

from __future__ import annotations

from registry.accounts.service import actor_for, create_user
from registry.accounts.tables import User
from registry.calls.tables import Call
from registry.reviews.assigning import assign_call_automatically
from registry.reviews.reviewing import criteria_specs, declare, save_review
from registry.reviews.tables import Assignment, ReviewerProfile

DEMO_CALL = "ami-2025"
DEMO_PASSWORD = "demo-evaluateur-2027"  # noqa: S105 (public demo account)
MAIN_REVIEWER = "evaluateur@demo.ami.fr"
EXTRA_REVIEWERS = [
    ("relecture.lyon@demo.ami.fr", "Pr Hélène Roussel", "Université Lyon 1", ["omop-cdm", "snds", "data-quality"]),
    ("relecture.pasteur@demo.ami.fr", "Dr Marc Lefèvre", "Institut Pasteur", ["synthetic-data", "pmsi", "nlp"]),
    ("relecture.cnrs@demo.ami.fr", "Dr Inès Haddad", "CNRS", ["fhir", "pseudonymisation", "nlp"]),
]
COMMENTS = ["Projet utile et bien cadré ; précisez le plan de maintenance.",
            "Méthode solide, mais la validation sur données réelles reste à démontrer.",
            "Bonne ouverture ; le budget paraît élevé au regard du programme de travail."]


async def _reviewer(email: str, name: str, organisation: str, expertise: list[str]) -> User:
    user = await User.objects().where(User.email == email).first()
    if user is None:
        user = await create_user(email=email, name=name, password=DEMO_PASSWORD, roles=["reviewer"],
                                 verified=True, organisation=organisation)
    if not await ReviewerProfile.exists().where(ReviewerProfile.user == user.id):
        await ReviewerProfile(user=user.id, organisation=organisation, expertise=expertise).save()
    return user


async def load_demo_reviews() -> None:
    call = await Call.objects().where(Call.slug == DEMO_CALL).first()
    if call is None or call.status != "in_review" or await Assignment.exists().where(Assignment.call == call.id):
        return
    main = await User.objects().where(User.email == MAIN_REVIEWER).first()
    if main is not None:
        await _reviewer(main.email, main.name, main.organisation, ["pseudonymisation", "nlp", "fhir"])
    for entry in EXTRA_REVIEWERS:
        await _reviewer(*entry)
    manager = await User.objects().where(User.email == "gestionnaire@demo.ami.fr").first()
    if manager is None:
        return
    created = await assign_call_automatically(DEMO_CALL, actor=await actor_for(manager))
    criteria = await criteria_specs(call.id)
    main_seen = 0
    for position, assignment in enumerate(created):
        reviewer = await User.objects().get(User.id == assignment.reviewer)
        actor = await actor_for(reviewer)
        # The main demo reviewer keeps one declaration and one draft to try.
        if reviewer.email == MAIN_REVIEWER:
            main_seen += 1
            if main_seen == 1:
                continue
        await declare(assignment.id, actor=actor, conflict=False, attest_confidentiality=True)
        scores = {c.name: (None if c.name == "Réalisme budgétaire" and position % 3 == 0
                           else (position * 3 + index * 2 + int(assignment.application)) % (c.scale_max + 1))
                  for index, c in enumerate(criteria)}
        await save_review(assignment.id, actor=actor, scores=scores, comment_applicant=COMMENTS[position % 3],
                          comment_committee="Avis à discuter en comité.", confidence=3 + position % 3,
                          submit=not (reviewer.email == MAIN_REVIEWER and main_seen == 2))
