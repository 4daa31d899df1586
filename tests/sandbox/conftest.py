"""Sandbox test fixtures: an `api` client (full scopes, first tenant) validated against the spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.openapi import XeroContractValidator
from tests.sandbox.helpers import Api
from xsync_desktop.sandbox import SandboxServer


@pytest.fixture
def api(sandbox: SandboxServer, openapi_validator: XeroContractValidator) -> Iterator[Api]:
    client = Api(sandbox, openapi_validator)
    try:
        yield client
    finally:
        client.close()
