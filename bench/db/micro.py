"""Per-statement cost of the SQLite engines: Piccolo's stock engine (a connection per statement)
against registry.db.PooledSQLiteEngine (connections kept open), on a scratch database.

    .venv/bin/python bench/db/micro.py [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from registry.db import PooledSQLiteEngine


async def measure(engine: SQLiteEngine, n: int) -> dict[str, float]:
    await engine.run_ddl("CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT)")
    await engine.run_ddl("DELETE FROM item")
    results: dict[str, float] = {}

    start = time.perf_counter()
    for i in range(n):
        await engine.run_querystring(QueryString("INSERT INTO item (id, name) VALUES ({}, {})", i, f"n{i}"))
    results["insert (autocommit)"] = (time.perf_counter() - start) / n

    start = time.perf_counter()
    for i in range(n):
        await engine.run_querystring(QueryString("SELECT id, name FROM item WHERE id = {}", i))
    results["select by key"] = (time.perf_counter() - start) / n

    start = time.perf_counter()
    await asyncio.gather(*(engine.run_querystring(QueryString("SELECT id, name FROM item WHERE id = {}", i))
                           for i in range(n)))
    results["select by key, concurrent"] = (time.perf_counter() - start) / n

    start = time.perf_counter()
    async with engine.transaction():
        for i in range(n):
            await engine.run_querystring(QueryString("UPDATE item SET name = {} WHERE id = {}", f"m{i}", i))
    results["update in a transaction"] = (time.perf_counter() - start) / n
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as directory:
        rows: dict[str, dict[str, float]] = {}
        for label, factory in (("stock SQLiteEngine", SQLiteEngine), ("PooledSQLiteEngine", PooledSQLiteEngine)):
            path = Path(directory) / f"{label.split()[0]}.sqlite3"
            with sqlite3.connect(path) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
            engine = factory(path=str(path), timeout=30)
            rows[label] = asyncio.run(measure(engine, n))
            if isinstance(engine, PooledSQLiteEngine):
                engine.close()
        print(f"{'statement':<28}" + "".join(f"{label:>22}" for label in rows))
        for statement in next(iter(rows.values())):
            print(f"{statement:<28}" + "".join(f"{rows[label][statement] * 1000:>19.3f} ms" for label in rows))


if __name__ == "__main__":
    main()
