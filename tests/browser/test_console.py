"""An operator's and an onboarder's day in the console, in headless Chromium."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event
from tests.api.world import World, purchase_order
from tests.browser.conftest import shot


def login(page: Any, url: str, key: str) -> None:
    """Log in through the form."""
    page.goto(f"{url}/")
    assert "/login" in page.url
    shot(page, "01-login")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_find_open_and_replay_a_document(page: Any, console: tuple[World, str]) -> None:
    world, url = console
    # given an operator logged in on the dashboard
    login(page, url, world.keys["operator"])
    assert page.locator(".tile").first.is_visible()
    assert page.locator("svg.chart").count() == 2
    shot(page, "02-dashboard")
    # when they look for a PO number in the message tracker
    page.click("nav.mainnav >> text=Messages")
    shot(page, "03-tracker")
    page.fill("#business_key", "PO-API-5001")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1
    # and open the document
    rows.first.locator("a").nth(1).click()
    page.wait_for_url(f"{url}/documents/1*")
    assert "PO-API-5001" in page.locator("h1").inner_text()
    shot(page, "04-document")
    # the tabs switch between timeline, canonical and parsed views
    page.click("button[data-tab=canonical]")
    assert page.locator("#tab-canonical").is_visible()
    assert not page.locator("#tab-timeline").is_visible()
    assert '"po_number": "PO-API-5001"' in page.locator("#tab-canonical pre").inner_text()
    shot(page, "05-document-canonical")
    page.click("button[data-tab=parsed]")
    assert page.locator("#tab-parsed td.seg-tag", has_text="BEG").count() == 1
    shot(page, "06-document-parsed")
    page.click("button[data-tab=acks]")
    assert "999" in page.locator("#tab-acks").inner_text()
    page.click("button[data-tab=odoo]")
    assert "purchase.order" in page.locator("#tab-odoo").inner_text()
    # when they replay it (and confirm)
    page.click("button:has-text('Replay')")
    page.wait_for_selector(".flash.ok")
    # then the page says so and the timeline shows the replay by their key
    assert "replayed" in page.locator(".flash.ok").inner_text()
    page.click("button[data-tab=timeline]")
    timeline = page.locator("#tab-timeline").inner_text()
    assert "replay requested" in timeline and "key:operator-key" in timeline
    with session_scope(world.runtime.sessions) as session:
        assert session.scalar(
            select(Event).where(Event.transaction_id == 1, Event.actor == "key:operator-key")
        )


def test_resolve_an_exception(page: Any, console: tuple[World, str]) -> None:
    world, url = console
    login(page, url, world.keys["operator"])
    page.click("nav.mainnav >> text=Exceptions")
    card = page.locator("article.xcard").first
    assert "quantity mismatch" in card.inner_text().lower()
    text = card.inner_text().lower()
    assert "expected\n0" in text and "received\n96" in text
    shot(page, "07-exceptions")
    card.locator("input[name=comment]").fill("Receipt booked by hand in Odoo")
    card.locator("button[value=resolve]").click()
    page.wait_for_selector(".flash.ok")
    assert "resolved" in page.locator(".flash.ok").inner_text()
    assert "Nothing waiting" in page.content()
    shot(page, "08-exceptions-empty")
    with session_scope(world.runtime.sessions) as session:
        row = session.scalar(select(BusinessException))
        assert row is not None
        assert (row.state, row.resolution, row.resolved_by) == (
            "resolved",
            "Receipt booked by hand in Odoo",
            "key:operator-key",
        )


def test_partner_sample_file(page: Any, console: tuple[World, str], tmp_path: Any) -> None:
    world, url = console
    sample = tmp_path / "sample-850.edi"
    sample.write_bytes(purchase_order("PO-BROWSER-1", 900001))
    login(page, url, world.keys["onboarding"])
    page.click("nav.mainnav >> text=Partners")
    shot(page, "09-partners")
    page.click("text=Keystone Pharmaceutical Wholesale")
    page.wait_for_url(f"{url}/partners/keystone-pharma")
    page.set_input_files("#test input[type=file]", str(sample))
    page.click("#test button[type=submit]")
    page.wait_for_selector(".testresult")
    result = page.locator(".testresult").inner_text()
    assert "translates cleanly" in result
    assert "PO-BROWSER-1" in result and "ST*999" in result
    shot(page, "10-partner-test")
    # nothing of the sample was stored
    page.goto(f"{url}/messages?business_key=PO-BROWSER-1")
    assert "Nothing matches these filters" in page.content()
    # a profile with mistakes is explained line by line
    page.goto(f"{url}/partners/validate")
    page.fill("#text", "id: acme\nname: ACME\nx12:\n  isa_qualifier: ZZZ\n  isa_id: ACME\n")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("table.grid")
    assert "x12.isa_qualifier" in page.locator("table.grid").inner_text()
    shot(page, "13-validate")


def test_viewer_cannot_change_anything(page: Any, console: tuple[World, str]) -> None:
    world, url = console
    login(page, url, world.keys["viewer"])
    page.goto(f"{url}/documents/2")
    assert page.locator("button:has-text('Replay')").count() == 0
    page.goto(f"{url}/messages/{world.files['invoice']}")
    assert "inv-9001.edi" in page.locator("h1").inner_text()
    assert page.locator("button:has-text('Replay file')").count() == 0
    shot(page, "12-file")
    page.goto(f"{url}/keys")
    assert "Not allowed" in page.locator("h1").inner_text()
    shot(page, "11-forbidden")


def test_api_docs_render_without_leaving_the_gateway(page: Any, console: tuple[World, str]) -> None:
    _, url = console
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "EDI gateway console" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector('[data-path="/api/v1/transactions"]')
    shot(page, "14-api-docs")
    outside = [u for u in requested if not u.startswith(url) and not u.startswith("data:")]
    assert not outside, f"/docs fetched from outside: {outside}"
