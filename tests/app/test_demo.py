"""`ami demo` data: idempotent, one working login per role, the label taxonomy."""

from __future__ import annotations

from registry.accounts.tables import User, UserRole
from registry.demo import DEMO_ACCOUNTS, load_demo
from registry.labels.tables import Label
from registry.labels.taxonomy import TAXONOMY
from tests.conftest import login


async def test_demo_is_idempotent_and_each_role_can_log_in(client):
    await load_demo()
    users, roles, labels = await User.count(), await UserRole.count(), await Label.count()
    await load_demo()
    assert (await User.count(), await UserRole.count(), await Label.count()) == (users, roles, labels)
    assert labels >= len(TAXONOMY)
    categories = {row["category"] for row in await Label.select(Label.category)}
    assert categories == {"theme", "data_source", "standard", "therapeutic_area"}

    for account in DEMO_ACCOUNTS:
        client.cookies.clear()
        response = await login(client, account.email, account.password)
        assert response.status_code == 200, account.email
        assert f'<dd id="profile-email">{account.email}</dd>' in response.text
        me = (await client.get("/api/v1/me")).json()
        assert account.role in me["roles"]
