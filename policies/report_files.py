"""What every evaluation report starts with, and atomic writing of its ``eval.json`` and ``eval.md``."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class EvalHeader:
    """Which run and checkpoint an evaluation ran, and on how many episodes of what length."""

    task: str
    run_dir: str
    checkpoint: str
    iteration: int
    """Completed training iterations of the checkpoint."""
    episodes: int
    episode_length_s: float
    """Time limit of one episode, s."""


def write_report(result: Any, markdown_text: str, out_dir: Path) -> tuple[Path, Path]:
    """Write dataclass ``result`` as ``eval.json`` and ``markdown_text`` as ``eval.md`` into ``out_dir``, each
    atomically (a temp file of this process, then a rename): a failed write leaves the previous file and no temp
    file, and raises ``OSError`` naming the file."""
    json_path, md_path = out_dir / "eval.json", out_dir / "eval.md"
    for path, text in ((json_path, json.dumps(asdict(result), indent=2) + "\n"), (md_path, markdown_text)):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text)
            tmp.replace(path)
        except OSError as error:
            raise OSError(error.errno, error.strerror, str(path)) from None
        finally:
            with contextlib.suppress(OSError):  # none was made (no folder), or it was renamed
                tmp.unlink()
    return json_path, md_path
