"""Keep garbage-collection pauses out of the window's frame time.

Measured (tests/perf/bench_gui_stall.py --diagnose): with the sandbox out of the
process, the remaining stalls of the GUI thread during a sync were CPython's full
(generation 2) collections, triggered in the sync worker. A full collection holds
the GIL and walks every tracked object of the process, so the GUI thread waits
for it: 60-200 ms on a busy two-core machine. Most of those objects were made at
start-up (modules, Qt wrappers, SQLAlchemy mappers) and live as long as the app.

So, once the window is up: import what the first sync will import anyway,
collect once, and `gc.freeze()` everything that exists, which moves it to the
permanent generation that collections skip. Full collections then only walk
what the app made since, and a higher third threshold makes them rarer. Young
collections (generations 0 and 1) are unchanged: they are short and keep cyclic
garbage from piling up.

After each sync, the catch-up full collection walked every object the app had made
since start-up (about 30,000 after a first sync: SQLAlchemy's compiled-statement
caches, httpx, the views' rows), 40-400 ms depending on the machine's load. Its
survivors are live by definition, so they are frozen too: the next sync's catch-up
walks only what that sync left. Garbage is never frozen (the collection runs first),
and what becomes garbage later is still collected unless it was already frozen.

Only `run_gui` calls this; tests build many apps in one process and must not
freeze their garbage.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time

log = logging.getLogger(__name__)

#: modules a sync imports on first use; importing them before the freeze keeps them out of every scan.
#: httpx loads its transport (httpcore, h11) with the first client and the IDNA codec with the first
#: host name: about 2,000 objects the first sync's catch-up collection walked (bench_gui_stall.py).
WARM_MODULES = (
    "xsync_desktop.sync.engine",
    "xsync_desktop.sync.pull",
    "xsync_desktop.sync.exceptions",
    "xsync_desktop.xero.client",
    "xsync_desktop.xero.session",
    "httpcore",
    "httpcore._sync.connection_pool",
    "httpcore._sync.http11",
    "httpcore._backends.sync",
    "encodings.idna",
)

#: full collections wait for this many generation-1 collections (CPython's default is 10)
GEN2_THRESHOLD = 100


def settle_after_start() -> dict[str, float]:
    """Warm imports, collect, freeze, make full collections rarer. Returns figures for the log."""
    started = time.perf_counter()
    warm_imports()
    gc.collect()
    gc.freeze()
    gen0, gen1, _gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, GEN2_THRESHOLD)
    global _settled
    _settled = True
    figures = {"frozen": float(gc.get_freeze_count()), "seconds": time.perf_counter() - started}
    log.info("garbage collector settled: %d objects frozen in %.0f ms",
             gc.get_freeze_count(), figures["seconds"] * 1000)
    return figures


def warm_imports() -> None:
    """Import what the first sync would import, and build the TLS context it would build."""
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional part must not stop the app
            log.debug("warm import of %s failed", name, exc_info=True)
    _warm_tls()


def _warm_tls() -> None:
    """Build the shared TLS context now (xero/tls.py): loading the CA bundle holds the GIL for
    90-170 ms, which the first sync would otherwise spend in its worker while the window waits."""
    try:
        from ..xero.tls import shared_ssl_context

        shared_ssl_context()
    except Exception:  # noqa: BLE001 - a sync that needs it builds it (and says what went wrong)
        log.debug("TLS context not built ahead", exc_info=True)


_settled = False
_held: tuple[int, int, int] | None = None


def hold_full_collections() -> None:
    """While a sync runs: no automatic full collections (measured: a 10,000-invoice sync still
    had three, 80-340 ms each, with start-up frozen). Young collections go on; a full sync's
    cyclic garbage that reaches the old generation is small (about 1,200 objects per full
    collection measured), so it waits for `release_full_collections` at the end.
    Only after `settle_after_start` (the app, not tests)."""
    global _held, _stepped
    if not _settled or _held is not None:
        return
    _held = gc.get_threshold()
    _stepped = False
    gc.set_threshold(_held[0], _held[1], 1_000_000)


def release_full_collections() -> None:
    """The sync ended: restore the thresholds and catch up with one full collection, once the
    sync's objects are gone."""
    global _held
    if _held is None:
        return
    gc.set_threshold(*_held)
    _held = None
    # A second later: the worker thread has ended and its engine, session and rows are freed,
    # so the catch-up collection walks a small heap (collected at once, it took ~70 ms).
    from .qt import QTimer

    QTimer.singleShot(1000, catch_up)


#: a sync whose pull begins with this many objects made since the last catch-up takes one then
STEP_OBJECTS = 8_000


def catch_up_as_the_pull_begins() -> bool:
    """During a sync (full collections held), when its pull begins: one catch-up, if more than
    STEP_OBJECTS objects were made since the last one (the sync's own, mostly). The push is where a
    first sync makes what lives on (the statements it adds to SQLAlchemy's compiled cache) and
    leaves its garbage; walked all at once at the end of a 10,000-invoice first sync, about 22,000
    objects held the window 44-53 ms (bench_gui_stall.py). Split here, two runs at 60x pace:
    27.5-28.5 ms when the pull begins, 12.1-17.8 ms at the end.
    Not at every phase: what lives at a step is frozen, and a running sync holds live objects of
    its own (its session, its client); should they die later in a cycle, they are never collected
    (measured: 61 objects at this step). A small sync takes no step. Returns whether it collected."""
    global _stepped
    if _held is None or _stepped:
        return False
    _stepped = True
    if len(gc.get_objects()) < STEP_OBJECTS:
        return False
    catch_up()
    return True


_stepped = False


def catch_up() -> int:
    """One full collection, then freeze its survivors: they are live, and the next catch-up
    need not walk them again. Returns how many objects the collection found unreachable."""
    found = gc.collect()
    if _settled:
        gc.freeze()
    return found
