"""An in-memory keyring that refuses what Windows Credential Manager refuses.

CI runs on Linux, users run Windows: Credential Manager rejects a secret over
2,560 bytes (about 1,280 characters, it stores UTF-16; jaraco/keyring#355 and
#540).  Tests and the demo install this backend explicitly so a design that would
break on Windows (say, storing a JWT access token) breaks here. Its priority is below
the "fail" backend, so keyring never auto-selects it.

It lives behind the composition root: only the root (for the demo and the smoke test)
and the tests choose it; the xero layer just receives a backend.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError, PasswordSetError

#: Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE, in bytes of UTF-16.
WINDOWS_MAX_BLOB_BYTES = 2560


class LimitedMemoryKeyring(KeyringBackend):
    """Keeps secrets in a dict; refuses values over 1,280 UTF-16 code units like Windows."""

    @properties.classproperty
    def priority(cls) -> float:
        return -1  # never chosen automatically; install with keyring.set_keyring(...)

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.refused = 0  # how many writes were refused, for tests

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password.encode("utf-16-le")) > WINDOWS_MAX_BLOB_BYTES:
            self.refused += 1
            raise PasswordSetError("secret too large for Windows Credential Manager (over 2,560 bytes)")
        with self._lock:
            self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._values.pop((service, username), None) is None:
                raise PasswordDeleteError("no such entry")

    def entries(self) -> dict[tuple[str, str], str]:
        """A copy of everything stored, so tests can check nothing secret leaked in."""
        with self._lock:
            return dict(self._values)
