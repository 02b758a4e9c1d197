"""Write ERA5 2 m temperature files laid out like NSF NCAR's bucket, for running offline.

The files copy the layout and encoding of ``s3://nsf-ncar-era5`` (us-west-2), which
docs/era5-data.md records with its sources: one netCDF-4 file per month at
``e5.oper.an.sfc/YYYYMM/e5.oper.an.sfc.128_167_2t.ll025sc.YYYYMM0100_YYYYMMDD23.nc``,
variable ``VAR_2T`` (float32, Kelvin) on ``time`` (hourly, int32 hours since 1900)
x ``latitude`` (90 to -90) x ``longitude`` (0 to 360 - step), plus ``utc_date``
(YYYYMMDDHH); HDF5 chunks of 27 hours, deflate level 1 with shuffle, fill value
9.999e20. On grids coarser than 0.25 degrees the chunk keeps its 27 hours and its
spatial extent shrinks with the grid (see ``file_chunks``).

The field is synthetic but shaped like the real thing: warm tropics and cold poles,
seasons that flip between hemispheres, a daily cycle that follows local solar time,
continents that swing harder than oceans, and travelling weather systems. A fixed
seed gives identical files.

    python notebooks/generate_sample_data.py                    # small, for CI
    python notebooks/generate_sample_data.py --preset workshop  # a few GB
"""

from __future__ import annotations

import argparse
import calendar
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5netcdf
import h5py
import numpy as np

# The layout of the real files (docs/era5-data.md, checked by test_layout.py).
PRODUCT = "e5.oper.an.sfc"
PATH_PATTERN = (
    "e5.oper.an.sfc/{year:04d}{month:02d}/e5.oper.an.sfc.128_167_2t.ll025sc."
    "{year:04d}{month:02d}0100_{year:04d}{month:02d}{last_day:02d}23.nc"
)
VARIABLE = "VAR_2T"
DIMENSIONS = ("time", "latitude", "longitude")
REAL_GRID = (721, 1440)
REAL_CHUNKS = (27, 139, 277)
ZLIB_LEVEL = 1
SHUFFLE = True
FILL_VALUE = np.float32(9.999e20)
TIME_UNITS = "hours since 1900-01-01 00:00:00"
VARIABLE_ATTRS = {
    "long_name": "2 metre temperature",
    "short_name": "2t",
    "units": "K",
    "original_format": "WMO GRIB 1 with ECMWF local table",
    "ecmwf_local_table": np.int32(128),
    "ecmwf_parameter": np.int32(167),
    "missing_value": FILL_VALUE,
    "rda_dataset": "ds633.0",
    "rda_dataset_url": "https://rda.ucar.edu/datasets/ds633.0/",
    "rda_dataset_doi": "DOI: 10.5065/BH6N-5N20",
    "rda_dataset_group": "ERA5 atmospheric surface analysis [netCDF4]",
    "number_of_significant_digits": np.int32(7),
}
# ERA5 values come from GRIB fields packed to 16 bits; rounding to 1/64 K leaves the
# low mantissa bits empty the same way, so deflate compresses the files as it does
# the real ones.
PRECISION_K = 1.0 / 64.0


@dataclass(frozen=True)
class Preset:
    resolution: float
    years: tuple[int, ...]
    months: tuple[int, ...]


PRESETS: dict[str, Preset] = {
    # A few MB: two months so the notebook combines files along time.
    "small": Preset(resolution=4.0, years=(2021,), months=(1, 2)),
    # A few GB on disk and in memory: enough to keep a local cluster busy.
    "workshop": Preset(resolution=0.5, years=(2021,), months=(1, 2, 3)),
    # The real grid, one month (about 3 GB in memory).
    "era5": Preset(resolution=0.25, years=(2021,), months=(1,)),
}


@dataclass(frozen=True)
class Grid:
    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def global_grid(cls, resolution: float) -> Grid:
        n_lat = round(180.0 / resolution) + 1
        n_lon = round(360.0 / resolution)
        if not (np.isclose(n_lon * resolution, 360.0)
                and np.isclose((n_lat - 1) * resolution, 180.0)):
            raise ValueError(f"resolution {resolution} does not divide 360 degrees")
        lat = 90.0 - np.arange(n_lat, dtype=np.float64) * resolution
        lon = np.arange(n_lon, dtype=np.float64) * resolution
        return cls(lat=lat, lon=lon)

    def specification(self) -> str:
        """The grid_specification attribute NCAR writes, for this grid."""
        step = f"{self.lon[1] - self.lon[0]:g}"
        return (f"{step} degree x {step} degree from 90N to 90S and 0E to "
                f"{self.lon[-1]:g}E ({self.lat.size} x {self.lon.size} Latitude/Longitude)")


@dataclass(frozen=True)
class WeatherWaves:
    """Eastward-travelling waves standing in for mid-latitude weather systems."""

    wavenumber: np.ndarray  # zonal wavenumber, waves per circle of latitude
    period_h: np.ndarray  # hours for a crest to pass a fixed point
    phase: np.ndarray
    amplitude_k: np.ndarray
    centre_lat: np.ndarray  # storm-track latitude, both hemispheres use |lat|

    @classmethod
    def from_seed(cls, seed: int, count: int = 6) -> WeatherWaves:
        rng = np.random.default_rng([seed, 0])
        return cls(
            wavenumber=rng.integers(3, 9, count).astype(np.float64),
            period_h=rng.uniform(60.0, 140.0, count),
            phase=rng.uniform(0.0, 2.0 * np.pi, count),
            amplitude_k=rng.uniform(1.5, 3.5, count),
            centre_lat=rng.uniform(35.0, 60.0, count),
        )


def land_fraction(grid: Grid) -> np.ndarray:
    """A smooth 0..1 land mask with blobs roughly where the continents are."""
    lat = np.deg2rad(grid.lat)[:, None]
    lon = np.deg2rad(grid.lon)[None, :]
    # (centre lat, centre lon east, half-width lat, half-width lon) in degrees.
    continents = (
        (45, 260, 18, 28),  # North America
        (65, 250, 10, 40),  # Canada and Alaska
        (-15, 300, 22, 14),  # South America
        (50, 60, 18, 60),  # Eurasia
        (62, 100, 10, 50),  # Siberia
        (8, 20, 22, 20),  # Africa
        (-25, 134, 11, 17),  # Australia
        (72, 318, 10, 15),  # Greenland
    )
    land = np.zeros((grid.lat.size, grid.lon.size))
    for c_lat, c_lon, w_lat, w_lon in continents:
        d_lat = (lat - np.deg2rad(c_lat)) / np.deg2rad(w_lat)
        d_lon = np.angle(np.exp(1j * (lon - np.deg2rad(c_lon)))) / np.deg2rad(w_lon)
        land = np.maximum(land, np.exp(-(d_lat**2 + d_lon**2) ** 2))
    land = np.maximum(land, np.clip((-grid.lat[:, None] - 64.0) / 6.0, 0.0, 1.0))
    return land


def month_hours(year: int, month: int) -> np.ndarray:
    """Hourly timestamps of a whole month, as hours since 1900-01-01."""
    days = calendar.monthrange(year, month)[1]
    start = np.datetime64(f"{year:04d}-{month:02d}-01T00", "h")
    epoch = np.datetime64("1900-01-01T00", "h")
    first = int((start - epoch).astype(np.int64))
    return np.arange(first, first + 24 * days, dtype=np.int64)


class TemperatureModel:
    """Hourly 2 m temperature in Kelvin for any block of hours on one grid."""

    def __init__(self, grid: Grid, seed: int) -> None:
        self.grid = grid
        self.seed = seed
        self.waves = WeatherWaves.from_seed(seed)
        lat = np.deg2rad(grid.lat.astype(np.float64))[:, None]
        land = land_fraction(grid)
        sin_lat = np.sin(lat)
        # Yearly mean: ~300 K in the tropics, ~284 K at 45 degrees, ~255 K at the
        # North Pole, ~230 K on the Antarctic plateau.
        self.base = (
            300.0 - 45.0 * np.abs(sin_lat) ** 3 - 25.0 * np.clip(-sin_lat, 0, 1) ** 6 * land
        )
        # Season: grows with latitude, much larger over land; sign flips by hemisphere.
        self.seasonal_amp = sin_lat * (3.0 + 18.0 * land) * np.abs(sin_lat) ** 0.5
        # Day/night: large over land, small over sea, fading towards the poles.
        self.diurnal_amp = (0.6 + 6.0 * land) * np.cos(lat) ** 2
        self.lon_hours = grid.lon.astype(np.float64)[None, :] / 15.0
        self.lon_rad = np.deg2rad(grid.lon.astype(np.float64))[None, :]
        abs_lat = np.abs(grid.lat.astype(np.float64))[:, None]
        self.storm_tracks = 0.3 + np.exp(-(((abs_lat - self.waves.centre_lat) / 15.0) ** 2))

    def block(self, hours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Temperatures for ``hours`` (hours since 1900), shape (time, lat, lon)."""
        out = np.empty((hours.size, self.grid.lat.size, self.grid.lon.size), np.float32)
        for i, hour in enumerate(hours):
            out[i] = self._hour(float(hour), rng)
        return out

    def _hour(self, hour: float, rng: np.random.Generator) -> np.ndarray:
        day_of_year = (hour / 24.0) % 365.2425
        # Warmest in the north around 20 July (day 200), a month after the solstice.
        season = np.cos(2.0 * np.pi * (day_of_year - 200.0) / 365.2425)
        local_solar_hour = (hour % 24.0 + self.lon_hours) % 24.0
        # Warmest around 15:00 local solar time.
        day_night = np.cos(2.0 * np.pi * (local_solar_hour - 15.0) / 24.0)
        field = self.base + self.seasonal_amp * season + self.diurnal_amp * day_night
        field = field + self._weather(hour)
        field = field + rng.normal(0.0, 0.3, field.shape)
        return np.round(field / PRECISION_K) * PRECISION_K

    def _weather(self, hour: float) -> np.ndarray:
        # Each wave is (storm track over latitude) x (crest over longitude), so the
        # sum over waves is one small matrix product per hour.
        w = self.waves
        crests = w.amplitude_k[:, None] * np.cos(
            w.wavenumber[:, None] * self.lon_rad
            - 2.0 * np.pi * hour / w.period_h[:, None]
            + w.phase[:, None]
        )
        return self.storm_tracks @ crests


def file_path(base: Path, year: int, month: int) -> Path:
    last_day = calendar.monthrange(year, month)[1]
    return base / PATH_PATTERN.format(year=year, month=month, last_day=last_day)


def file_chunks(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The real chunk shape, its spatial extent scaled to this grid and rounded up.

    Keeps 27 hours per chunk and about as many chunks per axis as the 721 x 1440
    files have, so a coarse sample is cut like the real one; at 0.25 degrees this
    is exactly (27, 139, 277).
    """
    hours, n_lat, n_lon = shape
    return (
        min(REAL_CHUNKS[0], hours),
        min(n_lat, math.ceil(REAL_CHUNKS[1] * n_lat / REAL_GRID[0])),
        min(n_lon, math.ceil(REAL_CHUNKS[2] * n_lon / REAL_GRID[1])),
    )


def utc_dates(hours: np.ndarray) -> np.ndarray:
    """Hours since 1900 as YYYYMMDDHH integers, the way the files' utc_date holds them."""
    stamps = (np.datetime64("1900-01-01T00", "h") + hours.astype("timedelta64[h]")).astype(str)
    return np.array([int(s[0:4] + s[5:7] + s[8:10] + s[11:13]) for s in stamps], np.int32)


def is_complete(path: Path, shape: tuple[int, int, int]) -> bool:
    """True when ``path`` already holds the variable with the expected shape and chunks."""
    try:
        with h5py.File(path, "r") as f:
            return (VARIABLE in f and f[VARIABLE].shape == shape
                    and f[VARIABLE].chunks == file_chunks(shape))
    except OSError:
        return False


def write_month(
    path: Path, grid: Grid, model: TemperatureModel, year: int, month: int, seed: int
) -> None:
    """Write one month to a temporary file beside ``path``, then rename it."""
    hours = month_hours(year, month)
    shape = (hours.size, grid.lat.size, grid.lon.size)
    chunks = file_chunks(shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    rng = np.random.default_rng([seed, year, month])
    try:
        with h5netcdf.File(tmp, "w") as nc:
            _write_header(nc, grid, hours)
            var = nc.create_variable(
                VARIABLE, DIMENSIONS, np.float32, chunks=chunks,
                compression="gzip", compression_opts=ZLIB_LEVEL, shuffle=SHUFFLE,
                fillvalue=FILL_VALUE,
            )
            var.attrs.update(VARIABLE_ATTRS)
            var.attrs["grid_specification"] = grid.specification()
            low, high = np.inf, -np.inf
            for start in range(0, hours.size, chunks[0]):
                block = model.block(hours[start : start + chunks[0]], rng)
                var[start : start + block.shape[0]] = block
                low, high = min(low, float(block.min())), max(high, float(block.max()))
            var.attrs["minimum_value"] = np.float32(low)
            var.attrs["maximum_value"] = np.float32(high)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_header(nc: h5netcdf.File, grid: Grid, hours: np.ndarray) -> None:
    # time is unlimited in NCAR's files; its size comes from the time variable.
    nc.dimensions = {"time": None, "latitude": grid.lat.size, "longitude": grid.lon.size}
    nc.attrs.update(
        {
            "Conventions": "CF-1.6",
            "DATA_SOURCE": "Synthetic stand-in for ECMWF ERA5 (NSF NCAR RDA ds633.0 layout)",
            "NETCDF_CONVERSION": "Generated by notebooks/generate_sample_data.py",
            "comment": "Not real data: a synthetic field for the Dask on ECS workshop.",
        }
    )
    time = nc.create_variable("time", ("time",), np.int32, chunks=(min(hours.size, 1024),))
    nc.resize_dimension("time", hours.size)
    time[:] = hours.astype(np.int32)
    time.attrs.update({"long_name": "time", "units": TIME_UNITS, "calendar": "gregorian"})
    lat = nc.create_variable("latitude", ("latitude",), np.float64, data=grid.lat)
    lat.attrs.update({"long_name": "latitude", "units": "degrees_north"})
    lon = nc.create_variable("longitude", ("longitude",), np.float64, data=grid.lon)
    lon.attrs.update({"long_name": "longitude", "units": "degrees_east"})
    utc_date = nc.create_variable("utc_date", ("time",), np.int32,
                                  chunks=(min(hours.size, 1024),))
    utc_date[:] = utc_dates(hours)
    utc_date.attrs.update({"long_name": "UTC date yyyy-mm-dd hh:00:00 as yyyymmddhh",
                           "units": "Gregorian_year month day hour"})


def generate(
    base: Path,
    years: list[int],
    months: list[int],
    resolution: float,
    seed: int,
    log=print,
) -> list[Path]:
    """Write every missing month under ``base``; return the paths of all months."""
    grid = Grid.global_grid(resolution)
    model = TemperatureModel(grid, seed)
    paths = []
    for year in years:
        for month in months:
            path = file_path(base, year, month)
            shape = (month_hours(year, month).size, grid.lat.size, grid.lon.size)
            if is_complete(path, shape):
                log(f"kept    {path} {shape}")
            else:
                write_month(path, grid, model, year, month, seed)
                log(f"wrote   {path} {shape} {path.stat().st_size / 1e6:.1f} MB")
            paths.append(path)
    return paths


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write ERA5 2 m temperature files in the NSF NCAR bucket's layout.",
    )
    parser.add_argument("--base", type=Path, default=Path("data/sample/era5"),
                        help="folder that plays the bucket root (default: %(default)s)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small",
                        help="grid and months to write unless given below "
                             "(default: %(default)s)")
    parser.add_argument("--years", type=int, nargs="+", help="e.g. --years 2020 2021")
    parser.add_argument("--months", type=int, nargs="+", choices=range(1, 13),
                        metavar="MONTH", help="e.g. --months 1 2 3")
    parser.add_argument("--resolution", type=float,
                        help="grid step in degrees; 0.25 is the real ERA5 grid")
    parser.add_argument("--seed", type=int, default=2021,
                        help="same seed, same files (default: %(default)s)")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    args.years = args.years or list(preset.years)
    args.months = args.months or list(preset.months)
    args.resolution = args.resolution or preset.resolution
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        generate(args.base, args.years, args.months, args.resolution, args.seed)
    except ValueError as err:
        print(f"generate_sample_data: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
