"""The project's own robot models (MJCF), shipped as package data."""

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent


def asset_path(file_name: str) -> Path:
    """Absolute path of an asset file, with a clear error if it is missing."""
    path = ASSETS_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(f"asset {file_name!r} not found in {ASSETS_DIR}")
    return path
