"""Fixtures shared by the whole suite: paths to ../shared data and the embedding model (once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CONSULT_SHARED_DIR", ROOT.parent / "shared"))
POLIS_DATASETS = SHARED / "datasets" / "polis"
POLIS_MATH = SHARED / "datasets" / "polis-math"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set CONSULT_SHARED_DIR to the shared/ folder)")
    return path


@pytest.fixture(scope="session")
def polis_datasets() -> Path:
    """The real Pol.is exports in ../shared/datasets/polis (skips when absent)."""
    return _require(POLIS_DATASETS)


@pytest.fixture(scope="session")
def polis_math() -> Path:
    """The Pol.is engine's computed outputs in ../shared/datasets/polis-math (skips when absent)."""
    return _require(POLIS_MATH)


@pytest.fixture(scope="session")
def embedder():
    """The real default sentence-embedding model, loaded once per test session."""
    from clustering.embeddings import default_embedder

    return default_embedder()
