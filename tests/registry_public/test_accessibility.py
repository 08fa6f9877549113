"""axe-core in Chromium on the public registry pages, French and English: no serious or critical violation.

axe-core 4.10.3 is vendored in tests/registry_public/vendor/axe.min.js (from `npm pack axe-core@4.10`,
MPL-2.0, licence beside it), so the test needs no network.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PAGES = [
    "/",
    "/projects",
    "/projects?q=donnees&label=snds",
    "/projects/edsnlp",
    "/projects/tableau-bord-sejours",
    "/stats",
    "/releases",
    "/calls/ami-2024/transparency",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (/usr/bin/chromium)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server(demo, settings):
    import uvicorn

    from app.factory import create_app
    from registry.db import is_postgres, make_engine, use_engine

    application = create_app(settings)
    if is_postgres(demo):
        use_engine(make_engine(settings.database))
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(100):
        if instance.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_public_registry_pages_have_no_serious_axe_violation(server, language):
    from playwright.async_api import async_playwright

    script = AXE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page(bypass_csp=True)  # the app forbids inline scripts; axe is injected
            for path in PAGES:
                separator = "&" if "?" in path else "?"
                response = await page.goto(f"{server}{path}{separator}lang={language}")
                assert response is not None and response.status == 200, path
                assert await page.get_attribute("html", "lang") == language
                await page.add_script_tag(content=script)
                violations = await page.evaluate(
                    "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                    ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                    ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
                )
                if violations:
                    found[path] = violations
        finally:
            await browser.close()
    assert found == {}
