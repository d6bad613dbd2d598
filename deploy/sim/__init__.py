"""Sim2sim tooling beside the robot path: the MuJoCo bridge behind the robot's topics, its supervisor, the
launch helpers and the latency bench. It imports ``deploy.robot``; the robot path never imports it."""
