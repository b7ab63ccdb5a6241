"""A warm start must not retrain: the model name is a hash of exactly what training reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from devstack.settings import REPO_ROOT
from devstack.training import TRAINING_INPUTS, training_hash


def copy_training_inputs(destination: Path) -> None:
    for entry in TRAINING_INPUTS:
        source = REPO_ROOT / entry
        target = destination / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)


def test_hash_is_stable_when_nothing_changed(tmp_path: Path) -> None:
    copy_training_inputs(tmp_path)
    assert training_hash(tmp_path) == training_hash(tmp_path) == training_hash(REPO_ROOT)


def test_hash_changes_when_training_data_changes(tmp_path: Path) -> None:
    copy_training_inputs(tmp_path)
    before = training_hash(tmp_path)
    with (tmp_path / "nlu_data" / "synonyms.yml").open("a", encoding="utf-8") as handle:
        handle.write("\n# a trainer's edit\n")
    assert training_hash(tmp_path) != before


def test_hash_ignores_files_training_does_not_read(tmp_path: Path) -> None:
    copy_training_inputs(tmp_path)
    before = training_hash(tmp_path)
    (tmp_path / "README.md").write_text("docs change", encoding="utf-8")
    (tmp_path / "bot" / "components" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "bot" / "components" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert training_hash(tmp_path) == before
