"""Deployment: controller core, ROS 2 nodes, sim2sim bridge. Never imports torch."""
