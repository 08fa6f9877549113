from registry.accounts.tables import User


async def test_database_round_trip_keeps_exact_values(db):
    await User.insert(User(email="a@example.org", name="Élodie Dupré"))
    rows = await User.select(User.email, User.name)
    assert rows == [{"email": "a@example.org", "name": "Élodie Dupré"}]


async def test_database_is_empty_at_each_test_start(db):
    assert await User.count() == 0
