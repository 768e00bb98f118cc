"""Live updates without reloading, and a layout that works from 800 px (finding 9)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from gateway.pipeline.dispatch import InlineDispatcher
from gateway.pipeline.operations import replay_transaction
from tests.api.world import World, purchase_order
from tests.browser.test_console import login

SHOT_DIR = Path(os.environ.get("EDIGW_SCREENSHOTS") or tempfile.mkdtemp(prefix="edigw-shots-"))


def _wait_for_text(page: Any, selector: str, text: str, timeout: float = 15) -> None:
    """Poll from Python (the console's CSP forbids the eval wait_for_function needs)."""
    import time

    deadline = time.monotonic() + timeout
    while text not in page.locator(selector).inner_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared in {selector}"
        page.wait_for_timeout(250)


def _drain(world: World) -> None:
    dispatcher = world.runtime.dispatcher
    assert isinstance(dispatcher, InlineDispatcher)
    dispatcher.drain(max_wait=0.05)


def test_document_timeline_and_tracker_update_live(page: Any, console: tuple[World, str]) -> None:
    world, url = console
    login(page, url, world.keys["operator"])
    page.goto(f"{url}/documents/1")
    page.evaluate("window.__notReloaded = true")
    assert "live-test-replay" not in page.locator("#tab-timeline").inner_text()
    # when someone else replays the document (another operator, the CLI ...)
    replay_transaction(world.runtime, 1, actor="live-test-replay")
    _drain(world)
    # then its timeline shows it within a few seconds, without a reload
    _wait_for_text(page, "#live-timeline", "live-test-replay")
    assert page.evaluate("window.__notReloaded") is True
    # and a file arriving shows up in the tracker the operator is looking at
    page.goto(f"{url}/messages")
    page.evaluate("window.__notReloaded = true")
    world.feed("live", purchase_order("PO-LIVE-7777", 707777), "po-live.edi")
    _wait_for_text(page, "#live-tracker", "PO-LIVE-7777")
    assert page.evaluate("window.__notReloaded") is True


PAGES = ["/", "/messages", "/messages?view=files", "/documents/1", "/exceptions", "/partners"]


@pytest.mark.parametrize("width", [800, 1400])
def test_layout_fits_the_window(browser: Any, console: tuple[World, str], width: int) -> None:
    world, url = console
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        login(page, url, world.keys["admin"])
        for path in PAGES:
            page.goto(url + path)
            name = (
                path.strip("/").replace("?", "-").replace("=", "-").replace("/", "-") or "dashboard"
            )
            page.screenshot(path=str(SHOT_DIR / f"{width}-{name}.png"), full_page=True)
            # nothing wider than the window: no sideways scrolling of the page
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} at {width}px is {overflow}px too wide"
            # every navigation link is on screen, inside the navigation bar (not clipped)
            nav = page.locator("nav.mainnav").bounding_box()
            assert nav is not None
            for link in page.locator("nav.mainnav a").all():
                box = link.bounding_box()
                assert box is not None, link.inner_text()
                inside = box["x"] >= max(0, nav["x"]) and box["x"] + box["width"] <= min(
                    width, nav["x"] + nav["width"]
                )
                assert inside, f"{path} at {width}px: link {link.inner_text()!r} is cut off"
    finally:
        context.close()
