"""Fixtures for the notebook tests: a real local Dask cluster and sample data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import generate_sample_data as gen
from local_cluster import LocalCluster, local_cluster

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """1 scheduler + 2 single-thread workers, as the local provider runs them."""
    with local_cluster(tmp_path_factory.mktemp("dask"), workers=2, threads=1,
                       memory_limit="1GiB") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default (small) preset, as `make sample-data` writes it."""
    base = tmp_path_factory.mktemp("era5")
    preset = gen.PRESETS["small"]
    gen.generate(base, list(preset.years), list(preset.months), preset.resolution,
                 seed=2021, log=lambda _msg: None)
    return base


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Executed notebooks and their figures, kept after the run for people to look at."""
    path = REPO / "test-results" / "notebook"
    path.mkdir(parents=True, exist_ok=True)
    return path
