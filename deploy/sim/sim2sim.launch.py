"""ROS 2 launch description of a sim2sim run: the MuJoCo sim bridge and the policy node.

    ros2 launch deploy/sim/sim2sim.launch.py params:=deploy/config/go2_sim2sim.yaml policy:=POLICY.onnx

Needs the ``launch`` / ``launch_ros`` packages of a ROS 2 install (they have no PyPI wheel for Jazzy);
without them, ``python -m deploy.sim.launch --params ... --policy ...`` starts the same two processes.
Either process exiting shuts the launch down.
"""

from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction, Shutdown
from launch.substitutions import LaunchConfiguration

from deploy.sim.launch import sim2sim_commands


def _processes(context: LaunchContext) -> list[ExecuteProcess]:
    params = LaunchConfiguration("params").perform(context)
    policy = LaunchConfiguration("policy").perform(context) or None
    return [
        ExecuteProcess(cmd=cmd, name=name, output="screen", on_exit=Shutdown())
        for name, cmd in sim2sim_commands(params, policy)
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription(
        [
            DeclareLaunchArgument("params", default_value="deploy/config/go2_sim2sim.yaml"),
            DeclareLaunchArgument("policy", default_value="", description="ONNX policy (default: the params file's)"),
            OpaqueFunction(function=_processes),
        ]
    )
