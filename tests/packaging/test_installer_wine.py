"""The NSIS installer run for real, under Wine: install, upgrade, uninstall, purge, IT presets.

A Windows build of the app cannot be made on Linux (PyInstaller freezes for the OS it runs
on), so the installer wraps a small stand-in bundle (two exe files and an _internal folder,
like the real one). Everything else is the real script: silent per-user install into a folder
with spaces and non-ASCII letters, the Add/Remove Programs entry, its version and the uninstall
commands it gives (read back with `wine reg export`), the Start-menu shortcut and its target, the
/DATABASE_URL=, /CLIENT_ID= and /DESK_NAME= presets (a non-ASCII desk name too) written to
%ProgramData%\\xsync-desktop\\config.ini, which is where the app's own machine_config_path()
looks on Windows, and read back by the app's own reader; the person's data folder is where the
app's platformdirs call puts it on Windows; an upgrade that keeps that data and the presets; an
uninstall through the entry's QuietUninstallString that keeps the data; and /PURGE that removes it.

What the stand-in does not prove (the Windows workflow's installer round trip covers the first
two with the real build): that the frozen app starts from the non-ASCII install folder, that
the running app picks the preset up (there it installs with /DATABASE_URL= and checks the app's
headless command created that database), that an upgrade migrates a real ledger (tests/store
does, outside the installer), nor anything Wine does differently from Windows (UAC elevation
for an all-users install, SmartScreen, a running copy holding files during an upgrade).

The command line goes through a batch file: NSIS wants /D= last and unquoted, and Wine would
quote an argument with spaces. Wine 8 from Debian is 64-bit only here, hence `Target amd64-unicode`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from build_bundle import build_installer

from xsync_desktop.machine_config import MACHINE_CONFIG_ENV, load_machine_config, machine_config_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

UNINST_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\xsync-desktop"
INSTALL_DIR = "C:\\Program Files \u00dc\\xsync d\u00e9sk \u00fc"  # spaces and non-ASCII, as user names bring
DATABASE_URL = "postgresql+psycopg://xsync@db-server.example.local:5432/xsync"
CLIENT_ID = "0123456789ABCDEF0123456789ABCDEF"
DESK_NAME = "R\u00e9ception \u00fc 2"  # a non-ASCII desk name survives the INI file's code page


def _why_not() -> str | None:
    if shutil.which("makensis") is None:
        return "makensis not installed (apt-get install nsis)"
    if shutil.which("wine") is None:
        return "wine not installed (apt-get install wine wine64; scripts/bootstrap.sh does it for CI)"
    return None


@dataclass
class Wine:
    prefix: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["wine", *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              errors="replace")
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=timeout)  # NSIS uninstallers re-launch
        return proc

    def command_line(self, line: str) -> subprocess.CompletedProcess[str]:
        """Run one raw Windows command line (through cmd and a batch file in the console code page)."""
        bat = self.prefix / "drive_c" / "run.bat"
        bat.write_bytes(f"@{line}\r\n".encode("cp437"))
        return self.run("cmd", "/c", "C:\\run.bat")

    def environment(self, name: str) -> str:
        """A Windows environment variable as programs in this prefix see it (e.g. ProgramData)."""
        out = self.command_line(f"echo %{name}%").stdout.strip()
        assert out and "%" not in out, f"{name} not set in the Wine prefix: {out!r}"
        return out

    def c(self, windows_path: str) -> Path:
        """A C:\\ path as a file on this machine."""
        assert windows_path[:3].upper() == "C:\\"
        return self.prefix / "drive_c" / Path(*windows_path[3:].split("\\"))

    def user_dir(self) -> Path:
        (home,) = [p for p in (self.prefix / "drive_c" / "users").iterdir() if p.name not in ("Public", "public")]
        return home

    def registry(self, value: str) -> str | None:
        """A value of our Add/Remove Programs entry (exported: `reg query` prints in a console code page)."""
        exported = self.prefix / "drive_c" / "entry.reg"
        exported.unlink(missing_ok=True)
        self.run("reg", "export", UNINST_KEY, "C:\\entry.reg", "/y")
        if not exported.is_file():
            return None
        for line in exported.read_bytes().decode("utf-16").splitlines():
            name, _, data = line.partition("=")
            if name == f'"{value}"' and data.startswith('"'):
                return data[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        return None


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wine]:
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    prefix = tmp_path_factory.mktemp("wine") / "prefix"
    env = dict(os.environ, WINEPREFIX=str(prefix), WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
               DISPLAY="")
    subprocess.run(["wineboot", "-i"], env=env, capture_output=True, timeout=300)
    subprocess.run(["wineserver", "-w"], env=env, timeout=300)
    if not (prefix / "drive_c" / "users").is_dir():
        pytest.skip("wine is installed but could not create a Windows prefix here")
    yield Wine(prefix, env)
    subprocess.run(["wineserver", "-k"], env=env, timeout=60)


@pytest.fixture(scope="module")
def installers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("installers")
    made = {}
    for version in ("1.0.0", "1.1.0"):
        bundle = work / f"bundle {version}" / "xsync-desktop"
        (bundle / "_internal").mkdir(parents=True)
        for name in ("xsync-desktop.exe", "xsync-desktop-cli.exe"):
            (bundle / name).write_bytes(b"MZ stand-in " + version.encode())
        (bundle / "_internal" / f"only-in-{version}.pyc").write_bytes(b"\0" * 64)
        os.environ.setdefault("XSYNC_FAST_INSTALLER", "1")
        made[version] = build_installer(bundle, work, version, shutil.which("makensis") or "makensis")
    return made


def _setup_line(installer: Path, *switches: str) -> str:
    return f'"Z:{str(installer).replace("/", chr(92))}" /S /CurrentUser {" ".join(switches)} /D={INSTALL_DIR}'


def _where_the_app_looks(wine: Wine, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(preset file, user data folder) as the app computes them on Windows, mapped into the prefix.

    The app's own code with Windows's answers: machine_config_path() with sys.platform "win32"
    and the prefix's %ProgramData%; platformdirs' Windows user_data_dir (what profile.py calls)
    resolving %LOCALAPPDATA% as Windows sets it for this user.
    """
    from platformdirs import windows

    from xsync_desktop.profile import APP_AUTHOR, APP_NAME

    with monkeypatch.context() as patch:
        patch.setattr("sys.platform", "win32")
        patch.setenv("ProgramData", wine.environment("ProgramData"))
        patch.setenv("LOCALAPPDATA", wine.environment("LOCALAPPDATA"))
        patch.delenv(MACHINE_CONFIG_ENV, raising=False)
        patch.setattr(windows, "get_win_folder", windows.get_win_folder_from_env_vars)
        preset = str(machine_config_path()).replace("/", "\\")
        data = windows.Windows(APP_NAME, APP_AUTHOR, roaming=False).user_data_dir
    return wine.c(preset), wine.c(data)


def test_install_upgrade_uninstall_and_purge_under_wine(wine: Wine, installers: dict[str, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    home = wine.user_dir()
    program = wine.c(INSTALL_DIR)
    shortcut = home / "AppData" / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "xsync desktop.lnk"
    config = wine.prefix / "drive_c" / "ProgramData" / "xsync-desktop" / "config.ini"
    user_data = home / "AppData" / "Local" / "xsync" / "xsync-desktop" / "default"

    # Where the app reads IT's presets and keeps the person's data is where the installer writes and purges.
    assert _where_the_app_looks(wine, monkeypatch) == (config, home / "AppData" / "Local" / "xsync" / "xsync-desktop")

    # 1. Silent per-user install with IT's presets.
    out = wine.command_line(_setup_line(installers["1.0.0"], f"/DATABASE_URL={DATABASE_URL}",
                                        f"/CLIENT_ID={CLIENT_ID}", f"/DESK_NAME={DESK_NAME}"))
    assert (program / "xsync-desktop.exe").read_bytes() == b"MZ stand-in 1.0.0", out.stdout + out.stderr
    assert (program / "xsync-desktop-cli.exe").is_file() and (program / "uninstall.exe").is_file()
    assert wine.registry("DisplayVersion") == "1.0.0"
    assert wine.registry("DisplayName") == "xsync desktop"
    assert wine.registry("InstallLocation") == INSTALL_DIR
    assert wine.registry("UninstallString") == f'"{INSTALL_DIR}\\uninstall.exe" /CurrentUser'
    assert shortcut.is_file()
    # The shortcut starts the installed program (Windows keeps the target's path in UTF-16 in the .lnk).
    assert f"{INSTALL_DIR}\\xsync-desktop.exe".encode("utf-16-le") in shortcut.read_bytes()
    preset = load_machine_config(config)  # the app's own reader, on the file where it looks (checked above)
    assert (preset.database_url, preset.client_id, preset.desk_name) == (DATABASE_URL, CLIENT_ID, DESK_NAME)

    # The person's data, as the app leaves it in the profile (never in the install folder).
    user_data.mkdir(parents=True)
    (user_data / "xsync.db").write_bytes(b"SQLite format 3\0 stand-in ledger")

    # 2. Upgrade over it, silently, without the switches: new files, old ones gone, data and presets kept.
    wine.command_line(_setup_line(installers["1.1.0"]))
    assert wine.registry("DisplayVersion") == "1.1.0"
    assert (program / "xsync-desktop.exe").read_bytes() == b"MZ stand-in 1.1.0"
    assert not (program / "_internal" / "only-in-1.0.0.pyc").exists()
    assert (user_data / "xsync.db").read_bytes().startswith(b"SQLite format 3")
    assert load_machine_config(config).database_url == DATABASE_URL
    assert load_machine_config(config).desk_name == DESK_NAME

    # 3. Uninstall as Add/Remove Programs (or IT's tooling) does it silently, with the entry's own
    # command: program, shortcut and entry gone; the person's data kept.
    uninstaller = f"{INSTALL_DIR}\\uninstall.exe"
    quiet = wine.registry("QuietUninstallString")
    assert quiet == f'"{uninstaller}" /CurrentUser /S'
    wine.command_line(quiet)
    assert not (program / "xsync-desktop.exe").exists() and not (program / "uninstall.exe").exists()
    assert not shortcut.exists()
    assert wine.registry("DisplayVersion") is None
    assert (user_data / "xsync.db").is_file()

    # 4. Install again, then uninstall with /PURGE: the data goes too.
    wine.command_line(_setup_line(installers["1.1.0"]))
    assert wine.registry("DisplayVersion") == "1.1.0"
    wine.command_line(f'"{uninstaller}" /S /CurrentUser /PURGE')
    assert wine.registry("DisplayVersion") is None
    assert not user_data.exists()
    assert not (program / "xsync-desktop.exe").exists()
    assert config.is_file()  # the machine's presets are IT's, not one person's data
