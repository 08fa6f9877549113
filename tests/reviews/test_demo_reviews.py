"""The demo loader: reviews on "ami-2025", idempotent."""

from __future__ import annotations

from registry.demo import load_demo
from registry.reviews.tables import Assignment, Review


async def test_demo_reviews_loaded_once(db) -> None:
    await load_demo()
    assignments = await Assignment.select(Assignment.reviewer, Assignment.state, Assignment.application)
    assert len(assignments) == 16  # 8 submitted applications × 2 reviewers
    loads: dict[int, int] = {}
    for row in assignments:
        loads[row["reviewer"]] = loads.get(row["reviewer"], 0) + 1
    assert sorted(loads.values()) == [4, 4, 4, 4]
    states = sorted(row["state"] for row in assignments)
    assert states == ["assigned"] + ["no_conflict"] + ["reviewed"] * 14
    assert await Review.count().where(Review.state == "submitted") == 14
    assert await Review.count().where(Review.state == "draft") == 1
    await load_demo()
    assert await Assignment.count() == 16
