from registry.accounts.tables import User


async def test_database_round_trip_keeps_exact_values(db):
    await User.insert(User(email="a@example.org", name="Élodie Dupré"))
    rows = await User.select(User.email, User.name)
    assert rows == [{"email": "a@example.org", "name": "Élodie Dupré"}]


async def test_database_is_empty_at_each_test_start(db):
    assert await User.count() == 0


# --- The pooled SQLite engine (registry.db.PooledSQLiteEngine) and the PostgreSQL pool -----------

import asyncio  # noqa: E402

import pytest  # noqa: E402

from registry.db import after_commit, is_postgres, write_transaction  # noqa: E402


async def test_concurrent_writes_all_land_and_are_serialised(db):
    from registry.cache.version import data_version

    before, _ = await data_version(db)

    async def add(i: int) -> None:
        async with write_transaction(db):
            await User.insert(User(email=f"w{i}@example.org", name=f"W {i}"))

    await asyncio.gather(*(add(i) for i in range(30)))
    assert await User.count() == 30
    assert (await data_version(db))[0] >= before + 30  # one bump per write, each committed
    if is_postgres(db):
        return
    # On SQLite a write transaction is IMMEDIATE: read-modify-write cycles never interleave.
    user = await User.objects().first()

    async def rename() -> None:
        async with write_transaction(db):
            current = await User.select(User.name).where(User.id == user.id).first()
            await asyncio.sleep(0)  # give the others every chance to interleave
            count = int(current["name"].split()[-1]) if current["name"].startswith("n ") else 0
            await User.update({User.name: f"n {count + 1}"}).where(User.id == user.id)

    await asyncio.gather(*(rename() for _ in range(20)))
    assert (await User.select(User.name).where(User.id == user.id).first())["name"] == "n 20"


async def test_reads_outside_see_commits_only_and_read_your_writes(db):
    seen_during: list[int] = []

    async def outside() -> None:
        seen_during.append(await User.count())

    async with write_transaction(db):
        await User.insert(User(email="r@example.org", name="R"))
        assert await User.count() == 1  # inside: the transaction's own connection
        # A task with no transaction of its own reads the committed state (a reader connection).
        await asyncio.create_task(outside(), context=__import__("contextvars").Context())
    assert seen_during == [0]
    assert await User.count() == 1  # after the commit, straight away


async def test_rollback_leaves_nothing_and_callbacks_run_once_after_commit(db):
    from registry.cache.version import data_version

    calls: list[str] = []

    async def note() -> None:
        calls.append("committed")

    version, _ = await data_version(db)
    with pytest.raises(RuntimeError):
        async with write_transaction(db):
            await User.insert(User(email="x@example.org", name="X"))
            after_commit(note)
            raise RuntimeError("boom")
    assert await User.count() == 0 and calls == []
    assert (await data_version(db))[0] == version  # the bump was rolled back with the write

    async with write_transaction(db):
        await User.insert(User(email="y@example.org", name="Y"))
        async with write_transaction(db):  # joins the open one
            await User.insert(User(email="z@example.org", name="Z"))
            after_commit(note)
        assert calls == []
    assert calls == ["committed"] and await User.count() == 2
    assert (await data_version(db))[0] > version

    # Piccolo's own transaction and atomic keep their meaning too.
    with pytest.raises(ValueError):
        async with db.transaction():
            await User.insert(User(email="t@example.org", name="T"))
            raise ValueError
    atomic = db.atomic()
    atomic.add(User.insert(User(email="a1@example.org", name="A1")), User.insert(User(email="a2@example.org", name="A2")))
    await atomic.run()
    assert await User.count() == 4


async def test_reads_do_not_bump_the_data_version(db):
    from registry.cache.version import data_version

    version, _ = await data_version(db)
    await User.select()
    await User.count()
    assert (await data_version(db))[0] == version


async def test_pooled_sqlite_keeps_its_connections(db):
    if is_postgres(db):
        assert db.pool is not None  # the asyncpg pool serves every query of the tests and the app
        return
    from registry.db import PooledSQLiteEngine

    assert isinstance(db, PooledSQLiteEngine)
    await asyncio.gather(*(User.count() for _ in range(50)))
    assert 1 <= len(db._readers) <= db._reader_count
    readers = list(db._readers)
    await User.count()
    assert db._readers == readers  # reused, not reopened
    rows = await db.run_querystring(__import__("piccolo.querystring", fromlist=["QueryString"]).QueryString(
        "PRAGMA foreign_keys"))
    assert rows == [{"foreign_keys": 1}]
