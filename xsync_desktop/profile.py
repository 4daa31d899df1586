"""Where a profile keeps its database, logs and exports.

Defaults come from platformdirs' *local* (non-roaming) app-data folder: a
database on a roaming Windows profile would be copied around at every logon.
`--profile DIR` or XSYNC_PROFILE puts everything in one folder, for tests and
portable use.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "xsync-desktop"
APP_AUTHOR = "xsync"
PROFILE_ENV = "XSYNC_PROFILE"
DATABASE_URL_ENV = "XSYNC_DATABASE_URL"


@dataclass(frozen=True)
class Profile:
    root: Path
    database_url_override: str | None = None

    @property
    def database_path(self) -> Path:
        return self.root / "xsync.db"

    @property
    def database_url(self) -> str:
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{self.database_path}"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def backups_dir(self) -> Path:
        return self.root / "backups"

    @property
    def lock_path(self) -> Path:
        return self.root / "sync.lock"

    @property
    def profile_id(self) -> str:
        """Stable short id, used to name this profile's keyring entries."""
        return hashlib.sha256(str(self.root.resolve()).encode("utf-8")).hexdigest()[:16]

    def ensure(self) -> Profile:
        for d in (self.root, self.logs_dir, self.exports_dir, self.backups_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve_profile(explicit: str | os.PathLike[str] | None = None, *, demo: bool = False,
                    database_url: str | None = None) -> Profile:
    """The profile for this process: explicit folder, then env var, then the OS default.

    The database: ``database_url`` (the command line), then XSYNC_DATABASE_URL, then the
    machine configuration IT preset (never for the demo, which must not touch the real
    books), else SQLite in the profile. Raises MachineConfigError for a file IT must fix.
    """
    url = database_url or os.environ.get(DATABASE_URL_ENV) or None
    if url is None and not demo:
        from .machine_config import load_machine_config

        url = load_machine_config().database_url
    if explicit:
        return Profile(Path(explicit).expanduser().absolute(), url)
    env = os.environ.get(PROFILE_ENV)
    if env:
        return Profile(Path(env).expanduser().absolute(), url)
    base = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))
    return Profile(base / ("demo" if demo else "default"), url)
