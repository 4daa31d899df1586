"""The app's HTTP clients share one TLS context (xero/tls.py), and it still verifies.

Building the context loads the CA bundle with the GIL held (90-170 ms here): a sync built
one for its own client in the worker thread and froze the window that long. Sharing it must
not loosen anything: certificates and host names are still checked.
"""

from __future__ import annotations

import ssl
from typing import Any

from xsync_desktop.xero.tls import shared_ssl_context


def _context_of(http: Any) -> ssl.SSLContext:
    return http._transport._pool._ssl_context  # httpx's transport keeps the context it connects with


def test_one_verifying_context_for_the_session_and_every_sync_client(xero_rig: Any) -> None:
    context = shared_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.get_ca_certs() or context.cert_store_stats()["x509_ca"] > 0  # a CA bundle was loaded
    first, second = xero_rig.new_client(), xero_rig.new_client()  # two syncs
    try:
        assert _context_of(first._http) is context
        assert _context_of(second._http) is context
        assert _context_of(xero_rig.session._http) is context
    finally:
        first.close()
        second.close()
