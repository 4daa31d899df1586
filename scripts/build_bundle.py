"""Build the one-folder bundle, smoke-test the frozen program, then build the NSIS installer.

    python scripts/build_bundle.py                  # all three steps (Linux and Windows alike)
    python scripts/build_bundle.py --skip-installer # bundle + smoke tests only
    python scripts/build_bundle.py --installer-only # makensis over an existing bundle

The smoke tests run the frozen executables, never the source tree, each on a
fresh profile whose path has a space and a non-ASCII letter:

- `xsync-desktop-cli --version` prints the pyproject version;
- `xsync-desktop-cli --smoke-test` exits 0 with nothing on stderr (the console twin can show a traceback);
- `xsync-desktop --smoke-test` exits 0 and leaves no error in the profile's logs (on Windows this is the
  windowed exe: it has no stderr, so its exit code and log file are all there is to check);
- `xsync-desktop-cli sandbox` starts the bundled sandbox and answers HTTP;
- `xsync-desktop-cli --profile P --demo sync` exits 0 with nothing on stderr (a full headless sync
  against the bundled sandbox), and again on the same profile (reopening the migrated database).

On Linux, makensis builds a Windows installer around the Linux bundle: it proves the script compiles
(warnings are errors) and measures the installer; the result is not meant to be run.
A JSON report with timings and sizes goes to dist/build-report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "installers"))
from lock_check import FIX, LOCK_FILE, LockFileError, check_environment, lock_digest  # noqa: E402
from version_resource import CLI_EXE, GUI_EXE, nsis_defines, read_version  # noqa: E402

IS_WINDOWS = sys.platform == "win32"
EXE_SUFFIX = ".exe" if IS_WINDOWS else ""
NSIS_SCRIPT = ROOT / "installers" / "windows" / "xsync-desktop.nsi"
COMMAND_TIMEOUT = 300  # a hang guard for each frozen command, not a performance expectation
# Lines Qt's offscreen platform plugin itself prints (it cannot do what a window manager would);
# they say nothing about the app. Everything else on stderr fails the smoke test.
BENIGN_STDERR = (
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
    re.compile(r"^This plugin does not support raise\(\)$"),
)


class BuildError(RuntimeError):
    pass


@dataclass
class Report:
    version: str
    timings_s: dict[str, float] = field(default_factory=dict)
    sizes_mb: dict[str, float] = field(default_factory=dict)
    smoke: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    lock: dict[str, str] = field(default_factory=dict)


@contextmanager
def _step(report: Report, name: str) -> Iterator[None]:
    """Time one build step into the report."""
    print(f"== {name}", flush=True)
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings_s[name] = round(time.perf_counter() - start, 1)
        print(f"== {name}: {report.timings_s[name]} s", flush=True)


def dir_size_mb(path: Path) -> float:
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 1_048_576, 1)


# ---- the lock file ------------------------------------------------------------------------------

def check_locked(lock: Path, unlocked: bool, report: Report) -> None:
    """Refuse to freeze anything but the locked versions (installers/lock_check.py says why)."""
    try:
        diffs = check_environment(lock)
    except LockFileError as exc:
        raise BuildError(str(exc)) from exc
    report.lock = {"file": str(lock), "sha256": lock_digest(lock),
                   "environment": "differs (--unlocked)" if diffs else "matches"}
    if diffs and not unlocked:
        raise BuildError(
            f"this environment is not the one {lock.name} pins, so the installer would not be reproducible:\n  "
            + "\n  ".join(diffs) + f"\nInstall the locked versions first ({FIX}), or pass --unlocked "
            "for a build that is only for trying something.")
    for line in diffs:
        print(f"warning (--unlocked): {line}", file=sys.stderr)


# ---- PyInstaller -------------------------------------------------------------------------------

def build_bundle(dist: Path, work: Path) -> Path:
    env = dict(os.environ, XSYNC_BUILD_WORK=str(work))
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=True)
    sys.stderr.write(proc.stderr[-20000:])
    if proc.returncode != 0:
        raise BuildError(f"PyInstaller failed ({proc.returncode})")
    bundle = dist / GUI_EXE
    for name in (GUI_EXE, CLI_EXE):
        if not (bundle / f"{name}{EXE_SUFFIX}").is_file():
            raise BuildError(f"PyInstaller did not produce {name}{EXE_SUFFIX}")
    return bundle


def check_bundle_contents(bundle: Path) -> None:
    """Things import analysis cannot prove and the smoke test may not reach."""
    internal = bundle / "_internal"
    expected = [
        internal / "xsync_desktop" / "store" / "migrations" / "env.py",
        internal / "resources" / "app.png",
    ]
    missing = [str(p.relative_to(bundle)) for p in expected if not p.exists()]
    if not list((internal / "xsync_desktop" / "store" / "migrations" / "versions").glob("0001_*.py")):
        missing.append("_internal/xsync_desktop/store/migrations/versions/0001_*.py")
    for dist_name in ("keyring", "xsync_desktop"):  # metadata: entry points, __version__
        if not any(internal.glob(f"{dist_name}[-.]*-info")):
            missing.append(f"_internal/{dist_name}-*.dist-info")
    keyring_eps = next(internal.glob("keyring-*.dist-info"), None)
    if keyring_eps and "keyring.backends.Windows" not in (keyring_eps / "entry_points.txt").read_text():
        missing.append("keyring entry points (keyring.backends.Windows)")
    if missing:
        raise BuildError("bundle is missing: " + ", ".join(missing))


# ---- smoke tests -------------------------------------------------------------------------------

def frozen_env() -> dict[str, str]:
    """The environment the frozen program runs in: nothing that points back at the source tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "XSYNC_", "VIRTUAL_ENV")) and k not in ("QT_PLUGIN_PATH",)}
    if not IS_WINDOWS:
        env["QT_QPA_PLATFORM"] = "offscreen"  # CI has no display; the plugin ships in the bundle
    return env


def run_frozen(exe: Path, *args: str, check_stderr: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(exe), *args], env=frozen_env(), text=True, capture_output=True,
                          timeout=COMMAND_TIMEOUT, encoding="utf-8", errors="replace")
    label = " ".join([exe.name, *args])
    if proc.returncode != 0:
        raise BuildError(f"`{label}` exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
                         f"stderr:\n{proc.stderr[-4000:]}")
    unexpected = [line for line in proc.stderr.splitlines()
                  if line.strip() and not any(p.match(line) for p in BENIGN_STDERR)]
    if check_stderr and unexpected:
        raise BuildError(f"`{label}` wrote to stderr:\n" + "\n".join(unexpected[-40:]))
    return proc


def log_errors(profile: Path) -> list[str]:
    """Error lines the app logged under the profile (how a windowed exe reports trouble)."""
    problems = []
    for log in sorted((profile / "logs").glob("*")):
        if log.is_file():
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if re.search(r"\b(ERROR|CRITICAL)\b|Traceback", line):
                    problems.append(f"{log.name}: {line}")
    return problems


def smoke_sandbox(cli: Path) -> str:
    """Start the bundled sandbox server, wait for its URL, fetch something, stop it."""
    proc = subprocess.Popen([str(cli), "sandbox", "--port", "0"], env=frozen_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + COMMAND_TIMEOUT
        url = None
        assert proc.stdout is not None
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            match = re.search(r"http://127\.0\.0\.1:\d+", line)
            url = match.group(0) if match else None
        if url is None:
            raise BuildError(f"sandbox printed no URL (exit {proc.poll()}): {proc.stderr.read()[-2000:]}")
        with urllib.request.urlopen(url + "/connections", timeout=30) as resp:  # noqa: S310 (loopback)
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code  # 401 without a token is the expected, living answer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if status >= 500:
        raise BuildError(f"sandbox answered {status}")
    return f"{url} answered {status}"


def smoke_test(bundle: Path, version: str, report: Report) -> None:
    gui = bundle / f"{GUI_EXE}{EXE_SUFFIX}"
    cli = bundle / f"{CLI_EXE}{EXE_SUFFIX}"
    with tempfile.TemporaryDirectory(prefix="xsync smoke ") as tmp:
        base = Path(tmp)

        out = run_frozen(cli, "--version").stdout
        if version not in out:
            raise BuildError(f"--version printed {out!r}, expected {version}")
        report.smoke["version"] = out.strip()

        run_frozen(cli, "--profile", str(base / "cli prüfung"), "--smoke-test")
        report.smoke["cli --smoke-test"] = "exit 0, stderr empty"

        gui_profile = base / "gui prüfung"
        run_frozen(gui, "--profile", str(gui_profile), "--smoke-test", check_stderr=not IS_WINDOWS)
        errors = log_errors(gui_profile)
        if errors:
            raise BuildError("windowed --smoke-test logged errors:\n" + "\n".join(errors[:20]))
        report.smoke["gui --smoke-test"] = "exit 0, no errors in logs"

        report.smoke["sandbox"] = smoke_sandbox(cli)

        demo_profile = base / "demo prüfung"
        proc = run_frozen(cli, "--profile", str(demo_profile), "--demo", "sync")
        report.smoke["--demo sync"] = "exit 0: " + (proc.stdout.strip().splitlines() or [""])[-1][:200]
        # Again on the same profile: the frozen app reopens a migrated database and syncs only changes.
        proc = run_frozen(cli, "--profile", str(demo_profile), "--demo", "sync")
        report.smoke["--demo sync again"] = "exit 0: " + (proc.stdout.strip().splitlines() or [""])[-1][:200]


# ---- NSIS ----------------------------------------------------------------------------------------

def find_makensis(explicit: str | None) -> str:
    candidates = [explicit, os.environ.get("MAKENSIS"), shutil.which("makensis")]
    if IS_WINDOWS:
        for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
            if base:
                candidates.append(str(Path(base) / "NSIS" / "makensis.exe"))
    for candidate in filter(None, candidates):
        if Path(candidate).is_file():
            return candidate
    raise BuildError("makensis not found (apt-get install nsis / choco install nsis, or --makensis PATH)")


def build_installer(bundle: Path, dist: Path, version: str, makensis: str) -> Path:
    out = dist / f"{GUI_EXE}-{version}-setup.exe"
    from xsync_desktop.profile import APP_AUTHOR, APP_NAME  # one source for the data folder's name

    defines = nsis_defines(version) | {
        "DATA_SUBDIR": f"{APP_AUTHOR}\\{APP_NAME}",
        "BUNDLE_DIR": str(bundle.resolve()),
        "OUTFILE": str(out.resolve()),
    }
    if os.environ.get("XSYNC_FAST_INSTALLER"):
        defines["FAST_COMPRESSION"] = "1"
    cmd = [makensis, "-V2", "-WX", "-NOCD", *(f"-D{k}={v}" for k, v in defines.items()), NSIS_SCRIPT.name]
    proc = subprocess.run(cmd, cwd=NSIS_SCRIPT.parent, text=True, capture_output=True)
    print(proc.stdout[-3000:], proc.stderr[-3000:], sep="")
    if proc.returncode != 0 or not out.is_file():
        raise BuildError(f"makensis failed ({proc.returncode})")
    return out


# ---- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--skip-installer", action="store_true")
    parser.add_argument("--installer-only", action="store_true")
    parser.add_argument("--skip-smoke", action="store_true", help="build without running the frozen program")
    parser.add_argument("--makensis", help="path to makensis (default: PATH, $MAKENSIS, Program Files)")
    parser.add_argument("--lock", type=Path, default=LOCK_FILE, help="the lock file the environment must match")
    parser.add_argument("--unlocked", action="store_true",
                        help="build even if the environment differs from the lock file (not for release)")
    args = parser.parse_args(argv)

    version = read_version()
    report = Report(version=version)
    bundle = args.dist / GUI_EXE
    try:
        if not args.installer_only:
            check_locked(args.lock, args.unlocked, report)
            with _step(report, "pyinstaller"):
                bundle = build_bundle(args.dist, args.work)
                check_bundle_contents(bundle)
            report.sizes_mb["bundle"] = dir_size_mb(bundle)
            report.artifacts["bundle"] = str(bundle)
            if not args.skip_smoke:
                with _step(report, "smoke"):
                    smoke_test(bundle, version, report)
        if not args.skip_installer:
            makensis = find_makensis(args.makensis)
            with _step(report, "makensis"):
                installer = build_installer(bundle, args.dist, version, makensis)
            report.sizes_mb["installer"] = round(installer.stat().st_size / 1_048_576, 1)
            report.artifacts["installer"] = str(installer)
    except (BuildError, subprocess.TimeoutExpired) as exc:
        print(f"BUILD FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        args.dist.mkdir(parents=True, exist_ok=True)
        (args.dist / "build-report.json").write_text(json.dumps(report.__dict__, indent=2), encoding="utf-8")
        print(json.dumps(report.__dict__, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
