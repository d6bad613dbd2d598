"""What runs on the robot's computer: controller, state machine, guards, observation, ONNX policy, ROS 2 node.

Nothing here imports ``deploy.sim``, MuJoCo or torch (``tests/deploy_core/test_no_torch.py`` checks it).
"""
