"""One TLS context for every HTTP client the app makes.

httpx builds a new `ssl.SSLContext` for each `httpx.Client` and loads the whole CA bundle
into it: 90-170 ms measured here, inside OpenSSL with the GIL held. A sync builds its own
client in the worker thread, so every sync began by freezing the window for that long
(tests/perf/bench_gui_stall.py --diagnose showed the GUI thread waiting while the worker
sat in ssl.create_default_context). An SSLContext may be shared by many connections and
threads, and the CA bundle does not change while the app runs, so it is built once.
"""

from __future__ import annotations

import ssl
import threading

import httpx

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The process's verifying TLS context (httpx's defaults: certifi's CAs, SSL_CERT_FILE honoured)."""
    global _context
    with _lock:
        if _context is None:
            _context = httpx.create_ssl_context()
        return _context
