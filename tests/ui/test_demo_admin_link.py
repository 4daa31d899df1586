"""The demo's "Open in Xero" link still opens once the sandbox's admin surface needs its secret
(issue 15 case 9): a browser link cannot send a header, so it carries ?admin_secret=."""

from __future__ import annotations

from typing import Any

import httpx


def test_the_demo_open_in_xero_link_carries_the_secret(demo_app: Any, qtbot: Any) -> None:
    """The GUI demo's "Open in Xero" opens the sandbox's listing in the browser: it must still open."""
    services, _window = demo_app
    url = services.xero_url("invoice", "00000000-0000-0000-0000-000000000001")
    assert url is not None and "admin_secret=" in url
    assert httpx.get(url.split("#", 1)[0], timeout=10).status_code == 200
