"""Deployment, never importing torch: ``deploy.robot`` runs on the robot, ``deploy.sim`` proves it in sim2sim."""
