"""Every number a config holds has a range a user could mean: a lower and an upper bound, or choices."""

from __future__ import annotations

from legged_envs.config.sections import RootConfig

from .schema_walk import has_range, is_numeric, leaf_fields, unbounded_task_keys


def test_every_number_of_the_root_schema_has_a_range() -> None:
    unbounded = [".".join(path) for path, tp, meta in leaf_fields(RootConfig) if is_numeric(tp) and not has_range(meta)]
    assert unbounded == []


def test_every_number_of_every_task_schema_has_a_range() -> None:
    assert unbounded_task_keys() == []
