"""Policies: networks, PPO variants on rsl-rl, ONNX export."""
