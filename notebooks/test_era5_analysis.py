"""Run the workshop notebook with papermill on a real local Dask cluster.

The notebook's results are checked against a plain NumPy computation that reads the
same files with h5py, so a wrong chunking, a unit slip or a dropped month shows up
as numbers that disagree.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
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
        months=[1, 2],  # both sample months: the results span a file boundary
        results_dir=str(results),
    )
    return results


@pytest.fixture(scope="module")
def reference(sample_data: Path) -> dict[str, np.ndarray]:
    """The same data read with h5py alone, in float64 degrees Celsius."""
    files = sorted(sample_data.glob(f"{gen.PRODUCT}/*/*.nc"))
    assert len(files) == 2
    parts, hours = [], []
    for path in files:
        with h5py.File(path, "r") as f:
            parts.append(f[gen.VARIABLE][...].astype(np.float64) - 273.15)
            hours.append(f["time"][...].astype(np.int64))
            lat, lon = f["latitude"][...], f["longitude"][...]
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


def run_expecting_setup_error(output: Path, **parameters: object) -> str:
    """Run the notebook, expect it to stop with one SetupError line; return the message."""
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(output, **parameters)
    assert failure.value.ename == "SetupError"
    assert "set " in failure.value.evalue  # says what to change
    nb = nbformat.read(output, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [(i, o) for i, c in enumerate(code) for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0][1].traceback == [f"SetupError: {failure.value.evalue}"]
    failing = code[errors[0][0]].source
    # Data problems stop at the first cell that reads storage, not later.
    if "data_url" in failure.value.evalue or "month" in failure.value.evalue \
            or "reach" in failure.value.evalue or "us-west-2" in failure.value.evalue:
        assert "month_files(fs, root)" in failing
    return failure.value.evalue


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty_data_url", "no e5.oper.an.sfc month folders under data_url="),
        ("years_without_files", "no months of [1999, 2000] under "),
        ("missing_month", "month 2021-07 is not in "),
        ("unreachable_scheduler", "no Dask scheduler answers at tcp://127.0.0.1:"),
        ("chunks_not_whole_multiples", "chunks {'lat': 10} are not whole multiples of the files' chunks (time 27, lat 9, lon 18)"),
    ],
)
def test_bad_input_stops_with_one_sentence(
    case: str, message: str, dask_cluster: LocalCluster, sample_data: Path,
    artifacts: Path, tmp_path: Path,
) -> None:
    parameters: dict[str, object] = {"scheduler_address": dask_cluster.address,
                                     "data_url": str(sample_data)}
    if case == "empty_data_url":
        parameters["data_url"] = str(tmp_path)
    elif case == "years_without_files":
        parameters["years"] = [1999, 2000]
    elif case == "missing_month":
        parameters["months"] = [1, 7]
    elif case == "chunks_not_whole_multiples":
        parameters["chunks"] = {"time": 54, "lat": 10}
    else:
        parameters["scheduler_address"] = f"tcp://127.0.0.1:{_free_port()}"
    evalue = run_expecting_setup_error(artifacts / f"bad-input-{case}.ipynb", **parameters)
    assert message in evalue
    if case == "missing_month":
        assert "it holds 2021-01 to 2021-02" in evalue


def test_unreachable_bucket_says_so(
    dask_cluster: LocalCluster, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loopback S3 endpoint that drops every connection stands for a network S3 never answers.

    It counts the connections it drops: asked at all, it shows the notebook's S3 client went
    there and nowhere else (without the endpoint honoured the kernel would try AWS itself).
    """
    with _DroppingListener() as dropped:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{dropped.port}")
        evalue = run_expecting_setup_error(
            artifacts / "bad-input-unreachable-bucket.ipynb",
            scheduler_address=dask_cluster.address, data_url="s3://nsf-ncar-era5",
        )
    assert evalue.startswith("cannot reach s3://nsf-ncar-era5: ")
    assert "folder written by `make sample-data`" in evalue
    assert dropped.count > 0


class _DroppingListener:
    """A loopback TCP port that accepts each connection and closes it at once, counting them."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.count += 1
            connection.close()

    def __enter__(self) -> _DroppingListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


def test_stored_notebook_is_clean_and_parameterised() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("scheduler_address", "data_url", "region", "years", "months", "chunks",
                 "results_dir"):
        assert f"{name} = " in code[0].source
    assert 'os.environ.get("ERA5_DATA_URL", "s3://nsf-ncar-era5")' in code[0].source
    assert all(not c.outputs and c.execution_count is None for c in code)
    source = json.dumps([c.source for c in code])
    for deprecated in ("dask-scheduler", "dask-worker", "--nprocs", ".drop(", "era5-pds",
                       "time0"):
        assert deprecated not in source
    persist = [c.source for c in code if ".persist()" in c.source]
    assert persist == ["t2m_c = t2m_c.persist()\nprogress(t2m_c)"]  # its own cell
    kinds = [c.cell_type for c in nb.cells]
    assert all(kinds[i - 1] == "markdown" for i, k in enumerate(kinds) if k == "code")


def _notebook_helpers() -> dict:
    """Run the notebook's library cell (SetupError, storage_problem) in this process."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "def storage_problem" in c.source)
    namespace: dict = {}
    exec(cell.source, namespace)  # noqa: S102 - the notebook's own code, under test
    return namespace


@pytest.mark.parametrize("code", ["PermanentRedirect", "AuthorizationHeaderMalformed"])
def test_wrong_region_is_named(code: str) -> None:
    """S3's answers to a client in the wrong region, as s3fs raises them.

    moto on loopback does not redirect between regions, so this feeds the notebook's
    mapping the exact errors botocore builds from S3's 301 / 400 responses and s3fs
    translates, rather than a live request.
    """
    from botocore.exceptions import ClientError
    from s3fs.errors import translate_boto_error

    status = 301 if code == "PermanentRedirect" else 400
    boto = ClientError(
        {"Error": {"Code": code, "Message": "The bucket you are attempting to access must "
                   "be addressed using the specified endpoint."},
         "ResponseMetadata": {"HTTPStatusCode": status}},
        "ListObjectsV2",
    )
    raised = translate_boto_error(boto)
    helpers = _notebook_helpers()
    message = helpers["storage_problem"](raised, "s3://nsf-ncar-era5")
    assert message == (
        'the bucket of s3://nsf-ncar-era5 is in us-west-2: set region = "us-west-2" '
        "and unset AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 if they name another region"
    )


def test_other_storage_errors_are_not_dressed_up() -> None:
    helpers = _notebook_helpers()
    assert helpers["storage_problem"](ValueError("bad header"), "s3://nsf-ncar-era5") is None
    denied = helpers["storage_problem"](PermissionError("Access Denied"), "s3://x")
    assert denied.startswith("no read access to s3://x: set data_url")
