"""Run the workshop notebook with papermill on a real local Dask cluster.

The notebook's results are checked against a plain NumPy computation that reads the
same files with h5py, so a wrong chunking, a unit slip or a dropped month shows up
as numbers that disagree.
"""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from pathlib import Path

import h5py
import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
import xarray as xr

import generate_sample_data as gen
from local_cluster import LocalCluster

NOTEBOOK = Path(__file__).with_name("era5-analysis.ipynb")
FIGURES = ("mean_map", "std_map", "mean_daily_max_map", "australia_nz_map",
           "cities_daily_max")
CITIES = {  # name: (lon, lat) as the workshop gives them
    "Santa Barbara": (-119.70, 34.42),
    "Colorado Springs": (-104.82, 38.83),
    "Honolulu": (-157.84, 21.29),
    "Seattle": (-122.33, 47.61),
    "Melbourne": (144.95, -37.84),
}


def run_notebook(output: Path, **parameters: object) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), parameters=parameters, kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


@pytest.fixture(scope="module")
def executed(dask_cluster: LocalCluster, sample_data: Path, artifacts: Path) -> Path:
    """Run the notebook once; return its results folder."""
    results = artifacts / "results"
    shutil.rmtree(results, ignore_errors=True)  # never pass on a previous run's files
    run_notebook(
        artifacts / "era5-analysis.ipynb",
        scheduler_address=dask_cluster.address,
        data_url=str(sample_data),
        results_dir=str(results),
    )
    return results


@pytest.fixture(scope="module")
def reference(sample_data: Path) -> dict[str, np.ndarray]:
    """The same data read with h5py alone, in float64 degrees Celsius."""
    files = sorted(sample_data.glob(f"*/*/data/{gen.VARIABLE}.nc"))
    parts, hours = [], []
    for path in files:
        with h5py.File(path, "r") as f:
            parts.append(f[gen.VARIABLE][...].astype(np.float64) - 273.15)
            hours.append(f["time0"][...])
            lat, lon = f["lat"][...], f["lon"][...]
    times = np.datetime64("1900-01-01T00", "h") + np.concatenate(hours).astype("timedelta64[h]")
    return {"t": np.concatenate(parts), "time": times, "lat": lat, "lon": lon}


def test_mean_and_std_maps_match_numpy(executed: Path, reference: dict) -> None:
    maps = xr.open_dataset(executed / "maps.nc", engine="h5netcdf")
    assert maps["mean"].attrs["units"] == "degC"
    np.testing.assert_allclose(maps["mean"], reference["t"].mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(maps["std"], reference["t"].std(axis=0), atol=1e-3)


def test_mean_daily_max_matches_numpy(executed: Path, reference: dict) -> None:
    t = reference["t"]
    daily_max = t.reshape(t.shape[0] // 24, 24, *t.shape[1:]).max(axis=1)
    maps = xr.open_dataset(executed / "maps.nc", engine="h5netcdf")
    np.testing.assert_allclose(maps["mean_daily_max"], daily_max.mean(axis=0), atol=1e-3)


def test_city_series_are_hourly_at_the_nearest_grid_point(
    executed: Path, reference: dict
) -> None:
    hourly = pd.read_csv(executed / "cities_hourly.csv", index_col=0, parse_dates=True)
    assert list(hourly.columns) == list(CITIES)
    assert len(hourly) == reference["time"].size
    assert (hourly.index == pd.DatetimeIndex(reference["time"])).all()
    assert (hourly.index.to_series().diff().dropna() == pd.Timedelta(hours=1)).all()
    for city, (lon, lat) in CITIES.items():
        i = np.abs(reference["lat"] - lat).argmin()
        j = np.abs(reference["lon"] - lon % 360).argmin()
        np.testing.assert_allclose(hourly[city], reference["t"][:, i, j], atol=1e-3)

    daily = pd.read_csv(executed / "cities_daily_max.csv", index_col=0, parse_dates=True)
    assert len(daily) == reference["time"].size // 24
    np.testing.assert_allclose(daily, hourly.resample("1D").max(), atol=1e-6)


def test_every_figure_is_saved(executed: Path) -> None:
    for name in FIGURES:
        png = executed / f"{name}.png"
        assert png.stat().st_size > 5_000, f"{png} is empty or missing"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_executed_notebook_has_no_errors_or_warnings(executed: Path, artifacts: Path) -> None:
    nb = nbformat.read(artifacts / "era5-analysis.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "Warning" not in stderr, stderr
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == len(FIGURES)


def test_dashboard_serves_status_page(dask_cluster: LocalCluster) -> None:
    url = f"http://127.0.0.1:{dask_cluster.dashboard_port}/status"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert b"bokeh" in response.read().lower()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty_data_url", "no ERA5 year folders under data_url="),
        ("missing_year", "no air_temperature_at_2_metres files for year 1999"),
        ("unreachable_scheduler", "no Dask scheduler answers at tcp://127.0.0.1:"),
    ],
)
def test_bad_input_stops_with_one_line(
    case: str, message: str, dask_cluster: LocalCluster, sample_data: Path,
    artifacts: Path, tmp_path: Path,
) -> None:
    parameters = {"scheduler_address": dask_cluster.address, "data_url": str(sample_data)}
    if case == "empty_data_url":
        parameters["data_url"] = str(tmp_path)
    elif case == "missing_year":
        parameters["years"] = [1999]
    else:
        parameters["scheduler_address"] = f"tcp://127.0.0.1:{_free_port()}"
    output = artifacts / f"bad-input-{case}.ipynb"

    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(output, **parameters)

    assert failure.value.ename == "SetupError"
    assert message in failure.value.evalue
    assert "set " in failure.value.evalue  # says what to change
    nb = nbformat.read(output, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0].traceback == [f"SetupError: {failure.value.evalue}"]


def test_stored_notebook_is_clean_and_parameterised() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("scheduler_address", "data_url", "years", "months", "chunks", "results_dir"):
        assert f"{name} = " in code[0].source
    assert all(not c.outputs and c.execution_count is None for c in code)
    source = json.dumps([c.source for c in code])
    for deprecated in ("dask-scheduler", "dask-worker", "--nprocs", ".drop("):
        assert deprecated not in source
    kinds = [c.cell_type for c in nb.cells]
    assert all(kinds[i - 1] == "markdown" for i, k in enumerate(kinds) if k == "code")
