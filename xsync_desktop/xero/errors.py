"""Typed errors for everything that talks to Xero.

Each error carries ``user_message``: plain words saying what happened and what
to do next, fit to show in the app.  The engine decides retry/skip/stop by the
error *type*, never by parsing text.  No error text ever contains a token:
messages are built from fixed words plus Xero's own validation messages.
"""

from __future__ import annotations

from datetime import datetime


class XeroError(Exception):
    """Base for every failure the Xero layer reports."""

    retriable = False

    def __init__(self, user_message: str, *, detail: str = "") -> None:
        super().__init__(user_message if not detail else f"{user_message} ({detail})")
        self.user_message = user_message
        self.detail = detail


class ValidationFailed(XeroError):
    """Xero rejected the request's content (400 ValidationException)."""

    def __init__(self, messages: list[str], *, detail: str = "") -> None:
        self.messages = list(messages)
        text = "; ".join(self.messages) if self.messages else "no reason given"
        super().__init__(f"Xero rejected the data: {text}. Correct the record and sync again.", detail=detail)


class RateLimited(XeroError):
    """Xero's per-organisation call limit was reached.

    ``kind`` is ``"minute"`` or ``"day"``; ``retry_at`` is when calls may resume (UTC).
    """

    retriable = True

    def __init__(self, kind: str, retry_at: datetime) -> None:
        self.kind = kind
        self.retry_at = retry_at
        local = retry_at.astimezone().strftime("%H:%M")
        if kind == "day":
            msg = f"Xero's daily limit for this organisation is reached; sync resumes at {local}."
        else:
            msg = f"Xero asked us to slow down for this organisation; sync resumes at {local}."
        super().__init__(msg)


class ReconnectNeeded(XeroError):
    """The saved connection no longer works (refresh token expired, revoked or missing)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "The connection to Xero has expired or was removed. Connect to Xero again to resume syncing.",
            detail=detail,
        )


class Forbidden(XeroError):
    """403: wrong organisation or a permission (scope) the connection lacks."""

    def __init__(self, tenant_id: str | None, detail: str = "") -> None:
        self.tenant_id = tenant_id
        who = f"organisation {tenant_id}" if tenant_id else "this organisation"
        super().__init__(
            f"Xero refused access to {who}. The organisation may have been disconnected, or the "
            "connection lacks a permission; connect to Xero again and allow all requested access.",
            detail=detail,
        )


class NotFound(XeroError):
    """404: the object or path does not exist in this organisation."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"Xero could not find {path}. It may have been deleted in Xero.")


class XeroUnavailable(XeroError):
    """Xero kept answering with server errors (5xx) after bounded retries."""

    retriable = True

    def __init__(self, status: int | None = None, detail: str = "") -> None:
        self.status = status
        super().__init__(
            "Xero is not responding properly right now (it may be down for maintenance). "
            "Nothing was lost; try again in a few minutes.",
            detail=detail or (f"HTTP {status}" if status else ""),
        )


class NetworkError(XeroError):
    """The request never got an answer: no connection, DNS, timeout or dropped connection."""

    retriable = True

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Could not reach Xero. Check the internet connection and try again.", detail=detail
        )


class LoginError(XeroError):
    """Signing in to Xero did not complete."""


class LoginCancelled(LoginError):
    """The person cancelled the sign-in; reported as cancelled, not as a failure."""

    def __init__(self) -> None:
        super().__init__("Connecting to Xero was cancelled.")


class KeyringUnavailable(XeroError):
    """No secure credential store: we refuse to keep Xero secrets in plain files."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No secure credential store found, so xsync desktop cannot read or save its connection to "
            "Xero (the connection has not expired, and the ledger and history are safe). Ask IT to install "
            "or enable one: on Windows, Credential Manager (its service must be running); on macOS, the "
            "login Keychain; on Linux, a Secret Service such as gnome-keyring or KWallet, unlocked at login. "
            "Then start xsync desktop again.",
            detail=detail,
        )


class KeyringBackendMisconfigured(KeyringUnavailable):
    """The keyring backend named in the environment (or keyring's config file) cannot be loaded."""

    def __init__(self, name: str, detail: str = "") -> None:
        XeroError.__init__(
            self,
            (f"The credential store named in PYTHON_KEYRING_BACKEND ({name!r}) cannot be loaded, so the "
             "connection to Xero cannot be read or saved. Remove that setting, or set it to an installed "
             "keyring backend, then start xsync desktop again.") if name else
            ("The credential store named in keyring's configuration file (keyringrc.cfg) cannot be loaded, "
             "so the connection to Xero cannot be read or saved. Fix or remove that file, then start "
             "xsync desktop again."),
            detail=detail,
        )
