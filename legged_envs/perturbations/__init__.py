"""Perturbations of observations, actions, dynamics and (training only) rewards (Robust-Gymnasium style), for
evaluation and training, vectorised per env and per dimension on the env's device, reproducible from a seed.

``config``: scenarios and suites (YAML); ``base``: size over the episode (severity x schedule) and redraw modes;
``signals``: noise, bias, drift, dropout and latency of observation terms, actions or rewards; ``attacks``:
FGSM/PGD on observation terms against the policy; ``motors``: lost strength, PD gains, limp and locked joints;
``dynamics``: friction, payload, CoM, link masses, pushes, contact damping, gravity tilt; ``kinds``: kind -> class;
``training``: the ``train.perturbations`` section; ``wrapper``: ``PerturbedEnv(env, scenario, severity, seed,
policy)`` around a ``LeggedEnv``; ``randomization_config`` and ``randomization``: a task's domain randomisation
(``task.randomization``) as perturbations drawn per episode, applied from inside the task.
"""
