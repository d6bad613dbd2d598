"""The validator on small schemas: every supported field type, constraint and error."""

from dataclasses import dataclass, field
from typing import Literal

import pytest

from legged_envs.config import ConfigError, to_dict
from legged_envs.config.schema import Origin, field_docs, validate


@dataclass
class Inner:
    gain: float = field(default=1.0, metadata={"ge": 0, "lt": 10})
    """Gain, dimensionless."""


@dataclass
class Sample:
    count: int = field(default=1, metadata={"choices": (1, 2, 4)})
    """Batch count."""
    mode: Literal["a", "b"] = "a"
    """Mode."""
    flag: bool = False
    """Switch."""
    name: str = field(default="x1", metadata={"pattern": r"x[0-9]+"})
    """Identifier."""
    limit: float | None = field(default=None, metadata={"gt": 0})
    """Limit, m; None = unlimited."""
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Position (x, y, z), m."""
    sizes: tuple[int, ...] = ()
    """Sizes."""
    weights: dict[str, float] = field(default_factory=dict, metadata={"le": 5})
    """Term -> weight."""
    inner: Inner = field(default_factory=Inner)
    """Nested section."""


@dataclass
class Required:
    needed: int
    """A key without a default."""


@dataclass
class Extended(Sample):
    inner: Inner | None = None
    """Replaced by the subclass: optional now."""
    extra: int = 3
    """Added by the subclass."""


def error_of(raw: dict, schema: type = Sample, origins: dict | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        validate(raw, schema, "cfg.yaml", origins)
    return str(info.value)


def test_valid_values_are_converted_to_field_types() -> None:
    raw = {"count": 4, "mode": "b", "flag": True, "name": "x42", "limit": 3, "pos": [1, 2, 3.5], "sizes": [5, 6]}
    cfg = validate({**raw, "weights": {"w": 2}, "inner": {"gain": 9}}, Sample, "cfg.yaml")
    assert cfg == Sample(4, "b", True, "x42", 3.0, (1.0, 2.0, 3.5), (5, 6), {"w": 2.0}, Inner(9.0))
    assert type(cfg.limit) is float and type(cfg.pos[0]) is float and type(cfg.weights["w"]) is float


def test_missing_keys_take_defaults() -> None:
    assert validate({}, Sample, "cfg.yaml") == Sample()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"count": 3}, "cfg.yaml: count: expected one of 1, 2, 4, got 3"),
        ({"mode": "c"}, "cfg.yaml: mode: expected one of 'a', 'b', got 'c'"),
        ({"flag": 1}, "cfg.yaml: flag: expected bool, got 1"),
        ({"name": "y1"}, "cfg.yaml: name: expected str matching 'x[0-9]+', got 'y1'"),
        ({"limit": 0}, "cfg.yaml: limit: expected float > 0, got 0"),
        ({"limit": "none"}, "cfg.yaml: limit: expected float, got 'none'"),
        ({"limit": float("nan")}, "cfg.yaml: limit: expected float, got nan"),
        ({"pos": [1, 2]}, "cfg.yaml: pos: expected [float, float, float] (3 items), got [1, 2]"),
        ({"pos": [1, 2, "z"]}, "cfg.yaml: pos[2]: expected float, got 'z'"),
        ({"sizes": (1,)}, "cfg.yaml: sizes: expected list of int, got (1,)"),
        ({"weights": [1]}, "cfg.yaml: weights: expected mapping of str to float, got [1]"),
        ({"weights": {"w": 6}}, "cfg.yaml: weights.w: expected float <= 5, got 6"),
        ({"weights": {1: 1.0}}, "cfg.yaml: weights: expected str keys, got 1"),
        ({"inner": {"gain": 10}}, "cfg.yaml: inner.gain: expected float in [0, 10), got 10"),
        ({"inner": {"gain": -0.5}}, "cfg.yaml: inner.gain: expected float in [0, 10), got -0.5"),
        ({"inner": {"gian": 1}}, "cfg.yaml: inner.gian: unknown key (did you mean 'gain'?)"),
        ({"inner": {"zzz": 1}}, "cfg.yaml: inner.zzz: unknown key (valid keys: gain)"),
        ({"name": "x" * 100}, "cfg.yaml: name: expected str matching 'x[0-9]+', got '" + "x" * 56 + "..."),
    ],
)
def test_bad_value_gives_exact_message(raw: dict, message: str) -> None:
    assert error_of(raw) == message


def test_missing_required_key_is_named() -> None:
    assert error_of({}, Required) == "cfg.yaml: needed: missing required key"


def test_origins_pick_the_longest_matching_key_path() -> None:
    origins = {("inner",): Origin("base.yaml"), ("weights", "w"): Origin("override weights.w=9", ("weights", "w"))}
    assert (
        error_of({"inner": {"gain": -1}}, origins=origins) == "base.yaml: inner.gain: expected float in [0, 10), got -1"
    )
    assert error_of({"weights": {"w": 9}}, origins=origins) == "override weights.w=9: expected float <= 5, got 9"


def test_subclass_can_replace_and_add_sections() -> None:
    cfg = validate({"inner": None, "extra": 5, "count": 2}, Extended, "cfg.yaml")
    assert (cfg.inner, cfg.extra, cfg.count) == (None, 5, 2)
    assert error_of({"extra": "x"}, Extended) == "cfg.yaml: extra: expected int, got 'x'"


def test_schema_breaking_the_convention_raises_type_error() -> None:
    @dataclass
    class BadMetadata:
        x: int = field(default=0, metadata={"min": 0})

    @dataclass
    class BadType:
        x: set[int] = field(default_factory=set)

    with pytest.raises(TypeError, match=r"BadMetadata.x: unknown metadata keys \['min'\]"):
        validate({}, BadMetadata, "cfg.yaml")
    with pytest.raises(TypeError, match="unsupported config field type"):
        validate({"x": [1]}, BadType, "cfg.yaml")


def test_to_dict_gives_plain_yaml_types() -> None:
    data = to_dict(Sample(pos=(1.0, 2.0, 3.0), weights={"w": 1.0}))
    assert data["pos"] == [1.0, 2.0, 3.0] and data["inner"] == {"gain": 1.0} and data["weights"] == {"w": 1.0}
    assert validate(data, Sample, "cfg.yaml") == Sample(pos=(1.0, 2.0, 3.0), weights={"w": 1.0})


def test_field_docs_reads_attribute_docstrings_including_bases() -> None:
    docs = field_docs(Extended)
    assert docs["pos"] == "Position (x, y, z), m."
    assert docs["inner"] == "Replaced by the subclass: optional now."
    assert docs["extra"] == "Added by the subclass."
