"""Partner pages that edit a profile: validate, save to the site's profiles directory,
reload, audit trail (finding 9: partners were read-only in the console)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.store.db import session_scope
from gateway.store.models import Event
from tests.api.world import make_world
from tests.ops.partner_files import profile_text, write


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has a form token"
    return match.group(1)


def test_onboarding_edits_saves_and_reloads_a_profile(tmp_path: Path) -> None:
    site = tmp_path / "site-profiles"
    write(site / "editco.yaml", profile_text("editco", "EDITCORX"))
    world = make_world(tmp_path / "data", documents=False, profiles_dir=str(site))
    assert world.runtime.registry.get("editco") is not None
    with TestClient(create_app(world.runtime)) as client:
        # a viewer may not edit
        client.post("/login", data={"key": world.keys["viewer"]})
        assert client.get("/partners/editco/edit").status_code == 403
        client.post("/login", data={"key": world.keys["onboarding"]})
        page = client.get("/partners/editco").text
        assert 'href="/partners/editco/edit"' in page
        form = client.get("/partners/editco/edit").text
        assert "isa_id: EDITCORX" in form
        # a mistake: every error with its line, nothing saved
        broken = profile_text("editco", "EDITCORX").replace('x12: "999"', 'x12: "998"')
        answer = client.post("/partners/editco/edit", data={"text": broken, "csrf": _csrf(form)})
        assert answer.status_code == 200
        assert "nothing was saved" in answer.text and "acknowledgements.x12" in answer.text
        assert 'x12: "999"' in (site / "editco.yaml").read_text()
        # another partner's ISA id is refused as a reload would refuse it
        clash = profile_text("editco", "KEYSTONERX")
        answer = client.post("/partners/editco/edit", data={"text": clash, "csrf": _csrf(form)})
        assert "already used by partner &#39;keystone-pharma&#39;" in answer.text
        # a good change is saved, reloaded and recorded
        renamed = profile_text("editco", "EDITCORX").replace("Editco Test Partner", "Edited Co")
        answer = client.post(
            "/partners/editco/edit",
            data={"text": renamed, "csrf": _csrf(form)},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"].startswith(
            "/partners/editco?notice=Profile+saved"
        )
    assert "Edited Co" in (site / "editco.yaml").read_text()
    assert world.runtime.registry.get("editco").name == "Edited Co"  # type: ignore[union-attr]
    with session_scope(world.runtime.sessions) as session:
        kinds = [
            (e.kind, e.actor, e.partner_id)
            for e in session.scalars(
                select(Event).where(Event.kind.in_(["profile_saved", "partners_reloaded"]))
            )
        ]
    assert ("profile_saved", "key:onboarding-key", "editco") in kinds
    assert ("partners_reloaded", "key:onboarding-key", None) in kinds


def test_a_shipped_profile_is_saved_as_the_sites_copy(tmp_path: Path) -> None:
    site = tmp_path / "site-profiles"
    site.mkdir()
    world = make_world(tmp_path / "data", documents=False, profiles_dir=str(site))
    with TestClient(create_app(world.runtime)) as client:
        client.post("/login", data={"key": world.keys["admin"]})
        form = client.get("/partners/keystone-pharma/edit").text
        text = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S).group(1)  # type: ignore[union-attr]
        import html

        text = html.unescape(text).replace("Keystone Pharmaceutical Wholesale", "Keystone Rx")
        answer = client.post(
            "/partners/keystone-pharma/edit",
            data={"text": text, "csrf": _csrf(form)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
    assert (site / "keystone-pharma.yaml").is_file()
    shipped = Path(__file__).resolve().parents[2] / "partner_profiles" / "keystone-pharma.yaml"
    assert "Keystone Pharmaceutical Wholesale" in shipped.read_text()
    assert world.runtime.registry.get("keystone-pharma").name == "Keystone Rx"  # type: ignore[union-attr]
