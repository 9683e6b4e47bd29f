"""A Den tab page in headless Chromium, watched: the test fails if the page loads anything from outside
the app, breaks a rule of its Content-Security-Policy, or throws."""

from __future__ import annotations

from contextlib import asynccontextmanager

from tests.e2e.test_playground_browser import CHROMIUM, CHROMIUM_ARGS, async_playwright
from tests.e2e.test_tab_browser import refused_by_csp


@asynccontextmanager
async def watched_tab(app_url: str, *, locale: str, width: int = 1280, height: int = 900):
    outside, refused, problems = [], [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(locale=locale, viewport={"width": width, "height": height},
                                            accept_downloads=True)
        page = await context.new_page()
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((app_url, "data:")) else None)
        page.on("console", lambda msg: refused.append(msg.text) if refused_by_csp(msg.text) else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            yield page
        finally:
            await browser.close()
    assert outside == [] and refused == [] and problems == []
