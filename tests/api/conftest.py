"""Fixtures of the console API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from tests.api.world import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A shared world for tests that only read."""
    return make_world(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    """A client on the shared world's app."""
    with TestClient(create_app(world.runtime)) as c:
        yield c


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """A world of its own, for tests that change things."""
    return make_world(tmp_path)


@pytest.fixture
def fresh_client(fresh: World) -> Iterator[TestClient]:
    """A client on the fresh world's app."""
    with TestClient(create_app(fresh.runtime)) as c:
        yield c
