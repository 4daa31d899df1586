"""Configuration of the Xero sandbox (defaults mirror Xero's documented limits)."""

from __future__ import annotations

from dataclasses import dataclass

#: environment variable a parent sets to choose a child sandbox's admin secret (never in argv: ps shows it)
ADMIN_SECRET_ENV = "XSYNC_SANDBOX_ADMIN_SECRET"
#: how the sandbox prints its admin secret, on the line after its address
ADMIN_SECRET_LINE = "admin-secret: "


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a test or the demo may tune. Times are in (sandbox) seconds."""

    client_id: str = "xsync-desktop-demo"
    redirect_uris: tuple[str, ...] = (
        "http://127.0.0.1:8765/callback",
        "http://127.0.0.1:8766/callback",
        "http://127.0.0.1:8767/callback",
    )
    access_token_ttl: int = 1800
    refresh_token_ttl: int = 60 * 86400
    refresh_grace: int = 1800
    minute_limit: int = 60
    day_limit: int = 5000
    concurrent_limit: int = 5
    app_minute_limit: int = 10000
    time_scale: float = 1.0
    rate_limits: bool = True
    state_file: str | None = None
    seed_demo_orgs: bool = True
    port: int = 0
    host: str = "127.0.0.1"
    code_ttl: int = 300
    idempotency_window: int = 360
    # The secret the admin surface (/__admin) requires in X-Sandbox-Admin-Secret; None: a new
    # random one per start (SandboxServer.admin_secret), printed with the address.
    admin_secret: str | None = None
