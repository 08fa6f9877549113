"""HTTP caching of anonymous pages: ETag from the shared data version, 304s, never stale, never a
logged-in page from the cache (app.web.middleware.http_cache_middleware, registry.cache)."""

from __future__ import annotations

from registry.projects.tables import Project
from tests.conftest import PASSWORD, login


async def test_anonymous_page_gets_validators_and_a_304(client, demo):
    first = await client.get("/projects/edsnlp")
    etag = first.headers["etag"]
    assert first.status_code == 200 and "EDS-NLP" in first.text
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert first.headers["vary"] == "Accept-Language, Cookie"
    assert first.headers["last-modified"].endswith(" GMT")
    again = await client.get("/projects/edsnlp", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert again.headers["x-frame-options"] == "DENY"  # the security headers stay on every answer
    since = await client.get("/projects/edsnlp", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    # From the in-process cache: the same page, with its headers and the security headers.
    cached = await client.get("/projects/edsnlp")
    assert cached.text == first.text and cached.headers["etag"] == etag
    assert "content-security-policy" in cached.headers
    # The language is part of the key.
    english = await client.get("/projects/edsnlp", headers={"Accept-Language": "en"})
    assert english.headers["etag"] != etag and '<html lang="en">' in english.text


async def test_a_write_changes_the_etag_and_the_next_page_shows_it(client, demo):
    from registry.db import write_transaction

    first = await client.get("/projects/edsnlp")
    feed = await client.get("/feeds/releases.atom")
    async with write_transaction(demo):
        await Project.update({Project.public_title: "Un titre tout neuf"}).where(Project.slug == "edsnlp")
    after = await client.get("/projects/edsnlp", headers={"If-None-Match": first.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != first.headers["etag"]
    assert "<h1>Un titre tout neuf</h1>" in after.text
    # A write anywhere public changes every page's version (the feed too).
    assert (await client.get("/feeds/releases.atom")).headers["etag"] != feed.headers["etag"]


async def test_a_harvest_write_shows_at_once(client, demo):
    from registry.db import write_transaction
    from registry.projects.tables import Repository

    before = await client.get("/projects/edsnlp")
    async with write_transaction(demo):
        await Repository.update({Repository.url: "https://github.com/aphp/edsnlp-moved"}).where(
            Repository.project.slug == "edsnlp")
    after = await client.get("/projects/edsnlp")
    assert after.headers["etag"] != before.headers["etag"]
    assert "edsnlp-moved" in after.text and "edsnlp-moved" not in before.text


async def test_logged_in_pages_are_private_and_never_from_the_anonymous_cache(client, app, demo, make_user):
    from tests.conftest import http_client

    anonymous = await client.get("/projects/edsnlp")
    assert "etag" in anonymous.headers
    await make_user("applicant", email="lea@example.org", name="Léa Martin")
    await login(client, "lea@example.org", PASSWORD)
    mine = await client.get("/projects/edsnlp")
    assert mine.status_code == 200 and "Se déconnecter" in mine.text and "_csrf_token" in mine.text
    assert mine.headers["cache-control"] == "private, no-store" and "etag" not in mine.headers
    # Even with the anonymous ETag, a logged-in visitor gets the full page of their own.
    revalidated = await client.get("/projects/edsnlp", headers={"If-None-Match": anonymous.headers["etag"]})
    assert revalidated.status_code == 200 and "Se déconnecter" in revalidated.text
    async with http_client(app) as stranger:
        page = await stranger.get("/projects/edsnlp")
    assert page.status_code == 200 and "Se déconnecter" not in page.text and "_csrf_token" not in page.text


async def test_pages_with_a_form_token_are_not_kept(client, demo):
    page = await client.get("/password/forgot")  # anonymous, outside the never-cached prefixes
    assert "_csrf_token" in page.text and "etag" not in page.headers
