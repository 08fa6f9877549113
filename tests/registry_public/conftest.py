"""Fixtures of the public registry tests: the demo projects, loaded through the real demo loader."""

from __future__ import annotations

import pytest


@pytest.fixture
async def demo(db):
    from registry.labels.taxonomy import load_taxonomy
    from registry.projects.demo import load_demo_projects

    await load_taxonomy()
    await load_demo_projects()
    return db
