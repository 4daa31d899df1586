"""Tokens never reach a log line, whether in the message, its args or a traceback."""

from __future__ import annotations

import logging

import pytest

from xsync_desktop.xero.redaction import REDACTED, RedactingFilter, redact

JWT = "eyJhbGciOiJSUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" * 40 + ".c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REFRESH = "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0abcd"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {REFRESH}", REFRESH),
        (f"got token {JWT} back", JWT),
        ("GET /callback?code=SECRETCODE123&state=xyz HTTP/1.1", "SECRETCODE123"),
        (f"grant_type=refresh_token&refresh_token={REFRESH}&client_id=abc", REFRESH),
        (f'{{"access_token": "{REFRESH}", "expires_in": 1800}}', REFRESH),
        (f"{{'refresh_token': '{REFRESH}'}}", REFRESH),
        ("code_verifier=VERIFIERVALUE0123456789&code=CODEVALUE", "VERIFIERVALUE0123456789"),
        ("code_verifier=VERIFIERVALUE0123456789&code=CODEVALUE", "CODEVALUE"),
        (f"token={REFRESH}&client_id=abc", REFRESH),
    ],
)
def test_redact_removes_secret(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert REDACTED in out


def test_redact_keeps_harmless_text() -> None:
    text = "Account code '200' is not a valid code for this document; status code: 500"
    assert redact(text) == text
    assert redact("code_challenge=abc&client_id=xyz") == "code_challenge=abc&client_id=xyz"


def test_filter_redacts_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.xero.redaction")
    handler = caplog.handler
    filt = RedactingFilter()
    handler.addFilter(filt)
    try:
        with caplog.at_level(logging.DEBUG, logger="tests.xero.redaction"):
            logger.info("refreshing with %s", f"refresh_token={REFRESH}")
            logger.debug("headers %r", {"Authorization": f"Bearer {JWT}"})
            try:
                raise RuntimeError(f"boom access_token={REFRESH}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        handler.removeFilter(filt)
    assert len(caplog.records) == 3
    assert REFRESH not in caplog.text
    assert JWT not in caplog.text
    assert "refresh_token=[redacted]" in caplog.text
    assert "boom access_token=[redacted]" in caplog.text
