from registry.applications.tables import Application
from registry.calls.demo import load_demo_calls
from registry.calls.state import call_state
from registry.calls.tables import Call, Criterion


async def test_demo_calls_are_idempotent(db, make_user):
    users = {role: (await make_user(role, email=f"{role}@demo.fr")).id
             for role in ("applicant", "reviewer", "manager", "admin")}
    await load_demo_calls(users)
    await load_demo_calls(users)
    calls = {c.slug: c for c in await Call.objects()}
    assert sorted(calls) == ["ami-2025", "ami-2027"]
    assert call_state(calls["ami-2025"]) == "in_review" and call_state(calls["ami-2027"]) == "open"
    weights = await Criterion.select(Criterion.weight).where(Criterion.call == calls["ami-2027"].id)
    assert sorted(w["weight"] for w in weights) == [5, 10, 15, 20, 25, 25]
    old = await Application.select(Application.state).where(Application.call == calls["ami-2025"].id)
    assert [row["state"] for row in old] == ["submitted"] * 8
    new = await Application.select(Application.state).where(Application.call == calls["ami-2027"].id)
    assert sorted(row["state"] for row in new) == ["draft", "draft", "submitted", "submitted"]
