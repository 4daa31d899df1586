"""Secrets live only in a real credential store, in entries Windows would accept."""

from __future__ import annotations

import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError

from xsync_desktop.composition.memory_keyring import LimitedMemoryKeyring
from xsync_desktop.xero.errors import KeyringUnavailable
from xsync_desktop.xero.token_store import KeyringTokenStore, StoredGrant, keyring_check


class PlaintextKeyring(KeyringBackend):
    """Stands in for keyrings.alt.file.PlaintextKeyring (same module and name)."""

    __module__ = "keyrings.alt.file"
    priority = 0.5

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("a plaintext backend must never be written to")

    def delete_password(self, service: str, username: str) -> None:
        pass


def test_fail_and_null_backends_are_refused() -> None:
    for backend in (keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()):
        with pytest.raises(KeyringUnavailable) as info:
            keyring_check(backend)
        assert "No secure credential store found" in info.value.user_message


def test_plaintext_backend_is_refused_never_written() -> None:
    store = KeyringTokenStore(PlaintextKeyring())
    with pytest.raises(KeyringUnavailable):
        store.save("p1", StoredGrant(refresh_token="r" * 64))
    with pytest.raises(KeyringUnavailable):
        store.load("p1")


def test_default_backend_in_tests_is_refused() -> None:
    # conftest pins the fail backend: with no explicit backend the store must refuse, not fall back.
    with pytest.raises(KeyringUnavailable):
        KeyringTokenStore().load("p1")


def test_limited_keyring_refuses_what_windows_refuses() -> None:
    kr = LimitedMemoryKeyring()
    kr.set_password("s", "u", "x" * 1280)
    with pytest.raises(PasswordSetError):
        kr.set_password("s", "u", "x" * 1281)
    with pytest.raises(PasswordSetError):  # UTF-16: a non-BMP character takes two code units
        kr.set_password("s", "u", "\U0001f600" * 641)
    assert kr.refused == 2
    assert LimitedMemoryKeyring.priority < keyring.backends.fail.Keyring.priority  # never auto-selected


def test_round_trip_one_small_entry_per_profile() -> None:
    kr = LimitedMemoryKeyring()
    store = KeyringTokenStore(kr)
    grant = StoredGrant(
        refresh_token="r" * 64, scopes=("offline_access", "accounting.contacts"), refreshed_at=1.5,
        tenant_id="t-1", tenant_name="Acme Storage ü" * 40,
    )
    store.save("profile one", grant)
    store.save("profile two", StoredGrant(refresh_token="s" * 64))
    assert store.load("profile one") == grant
    assert set(kr.entries()) == {
        ("xsync-desktop/profile one", "xero-connection"),
        ("xsync-desktop/profile two", "xero-connection"),
    }
    assert all(len(v) <= 1000 for v in kr.entries().values())
    assert "r" * 64 not in repr(grant)
    store.delete("profile one")
    store.delete("profile one")  # deleting twice is fine
    assert store.load("profile one") is None


def test_keyring_write_failure_is_a_plain_error() -> None:
    class Broken(LimitedMemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise PasswordSetError("locked")

    with pytest.raises(KeyringUnavailable):
        KeyringTokenStore(Broken()).save("p", StoredGrant(refresh_token="r"))


def test_corrupt_entry_reads_as_not_connected() -> None:
    kr = LimitedMemoryKeyring()
    kr.set_password("xsync-desktop/p", "xero-connection", "{not json")
    assert KeyringTokenStore(kr).load("p") is None


@pytest.mark.parametrize("name", ["nonsense.Backend", "os.NoSuchBackend", "keyring.backends.nope.Keyring"])
def test_unknown_backend_named_in_the_environment_is_a_plain_error(monkeypatch: pytest.MonkeyPatch,
                                                                   name: str) -> None:
    """Issue 15 case 10: keyring itself raises the import's error; the store names the setting to fix."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # keyring reads the variable on first use
    with pytest.raises(KeyringUnavailable) as info:
        KeyringTokenStore().load("p1")
    assert "PYTHON_KEYRING_BACKEND" in info.value.user_message and name in info.value.user_message
