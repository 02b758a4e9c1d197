"""The sample data must look like NCAR's ERA5 files to the notebook: layout, encoding, values."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

import generate_sample_data as gen

RESOLUTION = 5.0  # 37 x 72: fast, and still several file chunks along lat and lon


def write(base: Path, *, months: tuple[int, ...] = (1, 2), seed: int = 7,
          resolution: float = RESOLUTION) -> list[Path]:
    return gen.generate(base, [2021], list(months), resolution, seed, log=lambda _m: None)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write(tmp_path_factory.mktemp("era5"))


def test_layout_matches_the_ncar_bucket(files: list[Path]) -> None:
    base = files[0].parents[2]
    assert [p.relative_to(base).as_posix() for p in files] == [
        "e5.oper.an.sfc/202101/e5.oper.an.sfc.128_167_2t.ll025sc.2021010100_2021013123.nc",
        "e5.oper.an.sfc/202102/e5.oper.an.sfc.128_167_2t.ll025sc.2021020100_2021022823.nc",
    ]
    assert not list(base.rglob("*.tmp")), "temporary files left behind"


def test_dims_coordinates_and_dtype(files: list[Path]) -> None:
    ds = xr.open_dataset(files[1], engine="h5netcdf")
    var = ds[gen.VARIABLE]
    assert var.dims == ("time", "latitude", "longitude")
    assert var.dtype == np.float32
    assert var.shape == (28 * 24, 37, 72)
    assert ds.latitude.values[0] == 90 and ds.latitude.values[-1] == -90
    assert np.all(np.diff(ds.latitude.values) == -RESOLUTION)
    assert ds.longitude.values[0] == 0 and ds.longitude.values[-1] == 360 - RESOLUTION
    assert ds.utc_date.values[0] == 2021020100 and ds.utc_date.values[-1] == 2021022823
    times = ds.time.to_index()
    assert times[0] == np.datetime64("2021-02-01T00:00")
    assert times[-1] == np.datetime64("2021-02-28T23:00")
    assert (np.diff(times.values) == np.timedelta64(1, "h")).all()


def test_chunking_and_compression_match_ncar(files: list[Path]) -> None:
    with h5py.File(files[0], "r") as f:
        var = f[gen.VARIABLE]
        # 27 hours; 139 x 277 scaled by 37/721 and 72/1440, rounded up.
        assert var.chunks == (27, 8, 14)
        assert var.compression == "gzip" and var.compression_opts == 1 and var.shuffle
        assert var.dtype == np.float32
        assert var.fillvalue == np.float32(9.999e20)
    assert gen.file_chunks((744, 721, 1440)) == (27, 139, 277)  # the real grid
    assert gen.file_chunks((744, 361, 720)) == (27, 70, 139)  # workshop preset
    assert gen.file_chunks((744, 46, 90)) == (27, 9, 18)  # small preset


def test_attributes_follow_ncar(files: list[Path]) -> None:
    ds = xr.open_dataset(files[0], engine="h5netcdf")
    attrs = ds[gen.VARIABLE].attrs
    assert attrs["units"] == "K"
    assert attrs["short_name"] == "2t"
    assert attrs["long_name"] == "2 metre temperature"
    t = ds[gen.VARIABLE].values
    assert attrs["minimum_value"] == t.min() and attrs["maximum_value"] == t.max()
    assert ds.latitude.attrs["units"] == "degrees_north"
    assert ds.longitude.attrs["units"] == "degrees_east"


def test_field_is_physically_plausible(files: list[Path]) -> None:
    t = xr.open_dataset(files[0], engine="h5netcdf")[gen.VARIABLE].load()
    assert 200 < float(t.min()) and float(t.max()) < 330
    mean = t.mean("time")
    tropics = float(mean.sel(latitude=slice(10, -10)).mean())
    arctic = float(mean.sel(latitude=slice(90, 70)).mean())
    assert tropics - arctic > 30
    # January: southern mid-latitudes are in summer, northern ones in winter.
    assert float(mean.sel(latitude=-45).mean()) > float(mean.sel(latitude=45).mean()) + 5
    # Over central Australia (lon 135 E, UTC+9 solar) the warmest hour is mid-afternoon.
    point = t.sel(latitude=-25, longitude=135)
    warmest_utc = int(point.groupby("time.hour").mean().idxmax())
    assert (warmest_utc + 9) % 24 in range(13, 18)
    # Weather: day-to-day changes, not just smooth cycles.
    assert float(point.resample(time="1D").mean().diff("time").std()) > 0.3


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, files: list[Path]) -> None:
    again = write(tmp_path / "again", months=(1,))[0]
    other = write(tmp_path / "other", months=(1,), seed=8)[0]
    with h5py.File(files[0]) as a, h5py.File(again) as b, h5py.File(other) as c:
        assert np.array_equal(a[gen.VARIABLE][...], b[gen.VARIABLE][...])
        assert not np.array_equal(a[gen.VARIABLE][...], c[gen.VARIABLE][...])


def test_existing_files_are_kept_and_wrong_ones_rewritten(tmp_path: Path) -> None:
    path = write(tmp_path, months=(1,))[0]
    first = path.stat().st_mtime_ns
    write(tmp_path, months=(1,))
    assert path.stat().st_mtime_ns == first

    write(tmp_path, months=(1,), resolution=10.0)  # another grid: rewritten
    with h5py.File(path) as f:
        assert f[gen.VARIABLE].shape == (744, 19, 36)


def test_cli_presets_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = gen.parse_args(["--preset", "workshop", "--base", str(tmp_path)])
    assert (args.resolution, args.years, args.months) == (0.5, [2021], [1, 2, 3])
    args = gen.parse_args(["--months", "7", "--resolution", "2"])
    assert (args.resolution, args.months, args.base) == (2.0, [7], Path("data/sample/era5"))

    assert gen.main(["--base", str(tmp_path), "--resolution", "7", "--months", "1"]) == 2
    assert "does not divide 360" in capsys.readouterr().err
    assert gen.main(["--base", str(tmp_path), "--resolution", "9", "--months", "1"]) == 0
    assert (tmp_path / "e5.oper.an.sfc/202101/"
            "e5.oper.an.sfc.128_167_2t.ll025sc.2021010100_2021013123.nc").exists()
