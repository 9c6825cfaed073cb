"""Settings for a scan, built once at the entry point and passed down."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace

from .version import __version__

DEFAULT_TIMEOUT = 10.0
DEFAULT_SITE_TIMEOUT = 60.0
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_PAGES = 8
DEFAULT_PER_HOST = 2
DEFAULT_CONCURRENCY = 64
DEFAULT_RETRIES = 2
# First retry waits this long, the second twice as long: enough for a restarting server or a
# reset connection, short enough that two retries fit well inside the per-site budget.
DEFAULT_RETRY_BACKOFF = 0.5
USER_AGENT = f"analyzer/{__version__} (+https://github.com/analyzer-project/analyzer; vendor due diligence)"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a scan can be told; the defaults suit scanning the public web.

    ``allow_private`` lets scans reach loopback, private and link-local addresses, which
    are refused by default because URL lists fed to this tool are untrusted.
    ``allow_networks`` opens only the listed networks (CIDR, e.g. ``"10.20.0.0/16"`` for a
    staging network) and keeps every other non-public address refused.
    ``verify_tls=False`` reads HTTPS sites whose certificate does not verify (expired,
    self-signed, another host's); the address checks still apply.
    """

    timeout: float = DEFAULT_TIMEOUT
    site_timeout: float = DEFAULT_SITE_TIMEOUT
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages: int = DEFAULT_MAX_PAGES
    per_host: int = DEFAULT_PER_HOST
    concurrency: int = DEFAULT_CONCURRENCY
    retries: int = DEFAULT_RETRIES
    retry_backoff: float = DEFAULT_RETRY_BACKOFF
    obey_robots: bool = True
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    verify_tls: bool = True
    user_agent: str = USER_AGENT
    model_path: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("timeout", "site_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("max_bytes", "max_pages", "per_host", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("max_redirects", "retries", "retry_backoff"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for network in self.allow_networks:
            ipaddress.ip_network(network)  # raises ValueError on a malformed network

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
