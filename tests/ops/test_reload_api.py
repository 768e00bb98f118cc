"""Reload without restart through the API, and per-partner isolation (findings 3 and 7).

In process: the console app on an inline pipeline, a site profile directory and a
site map directory the tests write into.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.store.db import session_scope
from gateway.store.models import BusinessException, Event, Transaction
from tests.api.world import World, make_world
from tests.ops.partner_files import BROKEN_MAP, profile_text, purchase_order, write


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[World, TestClient, Path, Path]]:
    profiles, maps = tmp_path / "profiles", tmp_path / "maps"
    profiles.mkdir()
    maps.mkdir()
    world = make_world(
        tmp_path / "data",
        documents=False,
        profiles_dir=str(profiles),
        maps_dir=str(maps),
        watch_config=False,
    )
    assert world.runtime.registry.get("keystone-pharma") is not None  # loaded at start
    with TestClient(create_app(world.runtime)) as client:
        yield world, client, profiles, maps


def _states(world: World, message_id: int) -> list[str]:
    with session_scope(world.runtime.sessions) as session:
        return [
            t.state
            for t in session.scalars(
                select(Transaction).where(Transaction.message_id == message_id)
            )
        ]


def test_reload_needs_admin_or_onboarding(site: tuple[World, TestClient, Path, Path]) -> None:
    world, client, _, _ = site
    for role, status in (("viewer", 403), ("operator", 403), ("onboarding", 200), ("admin", 200)):
        answer = client.post("/api/v1/partners/reload", headers=world.headers(role))
        assert answer.status_code == status, (role, answer.text)
    assert client.post("/api/v1/partners/reload").status_code == 401


def test_new_partner_trades_after_reload_and_a_bad_reload_keeps_the_good_set(
    site: tuple[World, TestClient, Path, Path],
) -> None:
    world, client, profiles, _ = site
    headers = world.headers("onboarding")
    # given a partner added after the gateway started: unknown until reloaded
    write(profiles / "newco.yaml", profile_text("newco", "NEWCORX"))
    first = world.feed("before", purchase_order("NEWCORX", 5001), "po-1.edi")
    assert _states(world, first) == ["rejected"]
    # when onboarding reloads
    report = client.post("/api/v1/partners/reload", headers=headers).json()
    assert report["ok"] is True and report["problems"] == []
    # then its traffic goes through, and the reload is in the audit trail
    second = world.feed("after", purchase_order("NEWCORX", 5002), "po-2.edi")
    assert _states(world, second) == ["delivered"]
    with session_scope(world.runtime.sessions) as session:
        event = session.scalars(select(Event).where(Event.kind == "partners_reloaded")).one()
        assert event.actor == "key:onboarding-key" and event.id == report["generation"]
    # when the file is broken and reloaded again
    write(profiles / "newco.yaml", "id: newco\nx12: [not, a, mapping\n")
    bad = client.post("/api/v1/partners/reload", headers=headers).json()
    # then every error is reported and the previous good profile stays in use
    assert bad["ok"] is False
    (problem,) = bad["problems"]
    assert problem["file"].endswith("newco.yaml") and problem["line"] in (2, 3)
    assert problem["kept_previous"] is True and problem["partner_id"] == "newco"
    third = world.feed("kept", purchase_order("NEWCORX", 5003), "po-3.edi")
    assert _states(world, third) == ["delivered"]
    errors = client.get("/api/v1/partners/errors", headers=headers).json()
    assert [e["partner_id"] for e in errors] == ["newco"]


def test_broken_override_map_disables_only_its_partner(
    site: tuple[World, TestClient, Path, Path],
) -> None:
    world, client, profiles, maps = site
    # given two new partners, one with an override map that does not load
    write(profiles / "goodco.yaml", profile_text("goodco", "GOODCORX"))
    write(
        profiles / "badmapco.yaml",
        profile_text("badmapco", "BADMAPRX", maps={"850": "overrides/badmapco/850"}),
    )
    write(maps / "overrides" / "badmapco" / "850.yaml", BROKEN_MAP)
    report = client.post("/api/v1/partners/reload", headers=world.headers("admin")).json()
    # then the reload names the map file, line and field, and the partner it disables
    (problem,) = report["problems"]
    assert problem["file"].endswith("overrides/badmapco/850.yaml")
    assert problem["line"] == 3 and problem["field"] == "colour"
    assert list(report["disabled"]) == ["badmapco"]
    # when both send an 850, and a shipped partner sends one too
    good = world.feed("good", purchase_order("GOODCORX", 6001), "good.edi")
    bad = world.feed("bad", purchase_order("BADMAPRX", 6002), "bad.edi")
    shipped = world.feed("keystone", purchase_order("KEYSTONERX", 6003), "keystone.edi")
    # then only the broken partner's traffic is held, as a business exception with the reason
    assert _states(world, good) == ["delivered"]
    assert _states(world, shipped) == ["delivered"]
    assert _states(world, bad) == ["business_exception"]
    with session_scope(world.runtime.sessions) as session:
        (exc,) = session.scalars(select(BusinessException)).all()
        assert exc.partner_id == "badmapco" and exc.kind == "partner_disabled"
        assert "overrides/badmapco/850.yaml:3" in exc.message


def test_broken_profile_without_a_good_version_disables_that_partner(
    site: tuple[World, TestClient, Path, Path],
) -> None:
    world, client, profiles, _ = site
    write(
        profiles / "typo.yaml",
        profile_text("typo", "TYPORX").replace('x12: "999"', 'x12: "998"'),
    )
    report = client.post("/api/v1/partners/reload", headers=world.headers("admin")).json()
    assert report["disabled"].keys() == {"typo"}
    held = world.feed("typo", purchase_order("TYPORX", 7001), "typo.edi")
    assert _states(world, held) == ["business_exception"]
    other = world.feed("keystone", purchase_order("KEYSTONERX", 7002), "keystone.edi")
    assert _states(world, other) == ["delivered"]
