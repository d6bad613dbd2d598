"""Robot specifications, looked up by name."""

from legged_envs.robots.spec import JointSpec, RobotSpec


def get_robot_spec(name: str) -> RobotSpec:
    """Return the spec registered under ``name`` (``"g1_23dof"`` or ``"go2"``)."""
    from legged_envs.robots.g1 import G1_23DOF
    from legged_envs.robots.go2 import GO2

    specs = {spec.name: spec for spec in (G1_23DOF, GO2)}
    if name not in specs:
        raise KeyError(f"unknown robot {name!r}; known robots: {', '.join(sorted(specs))}")
    return specs[name]


__all__ = ["JointSpec", "RobotSpec", "get_robot_spec"]
