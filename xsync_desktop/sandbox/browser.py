"""Play the person's browser at the sandbox's consent page, over HTTP.

The demo, the headless demo sync, the sandbox in a child process and the tests all sign in
through the real PKCE loopback flow; something has to click "Allow" on the consent page.
This is that click, in one place: open the authorize URL, keep the organisations ticked,
allow, and return the redirect (to the app's loopback listener) for the caller to follow.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx


def approve_over_http(authorize_url: str, tenant_ids: list[str] | None = None) -> str:
    """Allow the consent asked for by `authorize_url`; returns the redirect location.

    `tenant_ids` None keeps every organisation the page offers ticked. An authorize URL the
    sandbox answers with a redirect straight away (an error, or consent already given) returns it.
    """
    base = authorize_url.split("/identity/", 1)[0]
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(authorize_url)
        if page.status_code == 302:
            return page.headers["location"]
        page.raise_for_status()
        request_id = re.search(r"name='request_id' value='([^']+)'", page.text)
        if request_id is None:
            raise RuntimeError("consent page without a request id")
        chosen = tenant_ids if tenant_ids is not None else re.findall(r"name='tenant' value='([^']+)'", page.text)
        form = [("request_id", request_id.group(1)), ("action", "allow")] + [("tenant", t) for t in chosen]
        resp = client.post(f"{base}/identity/connect/consent", content=urlencode(form).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        if resp.status_code != 302:
            raise RuntimeError(f"consent refused: {resp.status_code}")
        return resp.headers["location"]
