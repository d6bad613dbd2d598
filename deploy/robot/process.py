"""What every deploy process's ``main`` shares: a stop flag raised by signals, one-line error text."""

from __future__ import annotations

import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event that SIGINT or SIGTERM sets, so a fixed-rate loop can finish its tick and clean up."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def error_line(error: Exception) -> str:
    """The one-line message of a start-up error (a KeyError's message without its quotes)."""
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
