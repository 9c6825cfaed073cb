from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from analyzer import Settings

from .server import SITES, SiteServer


@pytest.fixture
def serve_site() -> Iterator[Callable[[str], str]]:
    """Start a server for a site under tests/sites; returns its base URL."""
    servers: list[SiteServer] = []

    def start(name: str) -> str:
        server = SiteServer(SITES / name).__enter__()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def local_settings() -> Settings:
    """Settings that may reach 127.0.0.1, with short timeouts."""
    return Settings(allow_private=True, timeout=2.0, site_timeout=10.0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
