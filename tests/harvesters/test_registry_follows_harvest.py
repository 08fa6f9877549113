"""What a harvest brings in is searchable and filterable in the public registry at once."""

from __future__ import annotations

from harvesters.run import run_harvest

from .conftest import add_repository, make_config, sample_repo


async def test_harvested_repository_feeds_search_facets_and_latest_release(client, fake_github):
    fake_github.add(sample_repo())
    await add_repository("https://github.com/hdh/pseudo")
    before = (await client.get("/api/v1/projects", params={"q": "pseudonymisation"})).json()
    assert before["total"] == 0

    await run_harvest(make_config(fake_github), everything=True)

    found = (await client.get("/api/v1/projects", params={"q": "pseudonymisation"})).json()
    assert [item["slug"] for item in found["items"]] == ["pseudo"]
    assert found["items"][0]["latest_release"]["tag"] == "v1.0"
    by_language = (await client.get("/api/v1/projects", params={"language": "Python"})).json()
    assert [item["slug"] for item in by_language["items"]] == ["pseudo"]
    by_licence = (await client.get("/api/v1/projects", params={"licence": "MIT", "compliant": "true"})).json()
    assert [item["slug"] for item in by_licence["items"]] == ["pseudo"]
