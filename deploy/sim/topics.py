"""Topics of the sim2sim tooling (the robot's own topics are in ``deploy.robot.topics``)."""

from __future__ import annotations

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

SIM_STATE = "/sim/state"
"""std_msgs/String, JSON: the sim bridge's report (base height, tilt, LowCmd counts and checks)."""
SIM_CONTROL = "/sim/control"
"""std_msgs/String: one of ``SIM_CONTROL_WORDS`` (sim bridge fault injection, gantry, start of a scenario)."""
SIM_CONTROL_WORDS = ("stop", "resume", "nan", "clear", "release", "perturb")
SIM_REMOTE = "/sim/remote"
"""std_msgs/String: button names to press and ``axis=value`` stick settings, e.g. ``"A"``, ``"ly=0.5"``."""

LOWCMD_EVERY = QoSProfile(depth=10, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.BEST_EFFORT)
"""The sim bridge's LowCmd reader: queues a few, so that it checks (CRC, ranges) every LowCmd it receives."""
