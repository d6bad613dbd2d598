"""ROS 2 side of deploy: the policy node, the MuJoCo sim2sim bridge, the transition CLI and a latency bench."""
