from tests.conftest import login


async def test_home_page_is_french_by_default(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Des algorithmes ouverts pour les données de santé" in response.text


async def test_login_then_profile_shows_email_and_roles(client, make_user):
    user = await make_user("manager", email="marie@example.org")
    response = await login(client, "marie@example.org")
    assert response.status_code == 200
    assert "Vous êtes connecté." in response.text
    assert '<dd id="profile-email">marie@example.org</dd>' in response.text
    assert "gestionnaire" in response.text
    assert user.id > 0
