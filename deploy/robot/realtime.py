"""Preparing the node's process for a steady 500 Hz: SCHED_FIFO, and start-up objects out of the collector.

Measured on a loaded 2-core machine (docs/BENCHMARKS.md), the LowCmd stream loses its time to preemption
(tick wall time well above its CPU time), which a real-time scheduling class removes; a full garbage
collection walks every object allocated at start-up (rclpy, numpy, onnxruntime), which ``gc.freeze``
takes out of its reach.
"""

from __future__ import annotations

import gc
import os


def use_fifo(priority: int) -> str:
    """Give the calling thread SCHED_FIFO at ``priority`` (1-99; 0: leave it) and return a one-line report.

    Threads started afterwards inherit it: called before ``rclpy.init``, the DDS threads receiving
    LowState run at the same priority as the control loop."""
    if priority <= 0:
        return "real-time: normal scheduling (realtime_priority 0)"
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except OSError as error:
        return (
            f"real-time: SCHED_FIFO priority {priority} not permitted ({error.strerror}); running with normal "
            "scheduling, expect late ticks under load (run as root, or grant CAP_SYS_NICE / an rtprio limit)"
        )
    return f"real-time: SCHED_FIFO priority {priority}"


def freeze_gc() -> None:
    """Collect once, then move every object allocated so far out of the collector's reach (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
