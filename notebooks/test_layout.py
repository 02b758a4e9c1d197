"""The documented real layout, the sample generator and the notebook must agree.

docs/era5-data.md holds one fenced json block describing NSF NCAR's ERA5 files. These
tests fail when the generator's constants, a file it writes, or the notebook's path
pattern and names drift from that block.
"""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path

import h5py
import nbformat
import numpy as np
import pytest

import generate_sample_data as gen

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "era5-data.md"
NOTEBOOK = Path(__file__).with_name("era5-analysis.ipynb")


@pytest.fixture(scope="module")
def layout() -> dict:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1, "docs/era5-data.md must hold exactly one json block"
    return json.loads(blocks[0])


@pytest.fixture(scope="module")
def month_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One month on a coarse grid, as the small preset writes it."""
    base = tmp_path_factory.mktemp("layout")
    return gen.generate(base, [2024], [2], 4.0, seed=1, log=lambda _m: None)[0]


def test_the_doc_describes_the_ncar_bucket(layout: dict) -> None:
    assert (layout["bucket"], layout["region"], layout["anonymous"]) == (
        "nsf-ncar-era5", "us-west-2", True)
    assert layout["latitude"]["size"] == 721 and layout["longitude"]["size"] == 1440
    lat, lon = layout["latitude"], layout["longitude"]
    assert lat["first"] + (lat["size"] - 1) * lat["step"] == lat["last"]
    assert lon["first"] + (lon["size"] - 1) * lon["step"] == lon["last"]
    hours = 31 * 24
    assert layout["memory_per_31_day_month_bytes"] == hours * 721 * 1440 * 4


def test_generator_constants_match_the_doc(layout: dict) -> None:
    assert gen.PRODUCT == layout["product"]
    assert gen.PATH_PATTERN == layout["path_pattern"]
    assert gen.VARIABLE == layout["variable"]
    assert list(gen.DIMENSIONS) == layout["dimensions"]
    assert gen.REAL_GRID == (layout["latitude"]["size"], layout["longitude"]["size"])
    assert list(gen.REAL_CHUNKS) == layout["chunks"]
    assert gen.file_chunks((744, *gen.REAL_GRID)) == tuple(layout["chunks"])
    assert layout["compression"] == "zlib" and gen.ZLIB_LEVEL == layout["compression_level"]
    assert gen.SHUFFLE is layout["shuffle"]
    assert gen.FILL_VALUE == np.float32(layout["fill_value"])
    assert gen.TIME_UNITS == layout["time"]["units"]
    grid = gen.Grid.global_grid(0.25)
    assert (grid.lat[0], grid.lat[-1], grid.lon[0], grid.lon[-1]) == (
        layout["latitude"]["first"], layout["latitude"]["last"],
        layout["longitude"]["first"], layout["longitude"]["last"])


def test_a_generated_file_matches_the_doc(layout: dict, month_file: Path) -> None:
    expected_name = layout["path_pattern"].format(
        year=2024, month=2, last_day=calendar.monthrange(2024, 2)[1])
    assert month_file.as_posix().endswith("/" + expected_name)
    assert expected_name.endswith("2024020100_2024022923.nc")  # leap year: DD = 29

    with h5py.File(month_file, "r") as f:
        names = {layout["variable"], *layout["dimensions"], *layout["extra_variables"]}
        assert set(f) == names
        var = f[layout["variable"]]
        assert var.dtype == np.dtype(layout["dtype"])
        dims = [f[ref].name.lstrip("/") for ref in (d[0] for d in var.attrs["DIMENSION_LIST"])]
        assert dims == layout["dimensions"]
        assert var.shape == (29 * 24, 46, 90)
        assert var.chunks[0] == layout["chunks"][0]  # same hours per chunk on every grid
        assert var.chunks == gen.file_chunks(var.shape)
        assert var.compression == "gzip"  # HDF5's name for the zlib/deflate filter
        assert var.compression_opts == layout["compression_level"]
        assert var.shuffle is layout["shuffle"]
        assert var.fillvalue == np.float32(layout["fill_value"])
        assert var.attrs["_FillValue"].dtype == np.float32
        for name, value in layout["variable_attributes"].items():
            got = var.attrs[name]
            got = got.item() if isinstance(got, np.ndarray) else got
            assert got == (np.float32(value) if isinstance(value, float) else value), name
        for name in layout["variable_attributes_present"]:
            assert name in var.attrs, name

        time = f["time"]
        assert time.dtype == np.dtype(layout["time"]["dtype"])
        assert time.attrs["units"] == layout["time"]["units"]
        assert time.attrs["calendar"] == layout["time"]["calendar"]
        assert np.all(np.diff(time[...]) == layout["time"]["step_hours"])
        assert (time.maxshape == (None,)) is layout["time"]["unlimited"]
        for axis in ("latitude", "longitude"):
            coord, doc = f[axis], layout[axis]
            assert coord.dtype == np.dtype(doc["dtype"])
            assert coord.attrs["units"] == doc["units"]
            step = coord[1] - coord[0]
            assert coord[0] == doc["first"]
            # The same ends as the real grid; longitude stops one coarse step short of 360.
            assert coord[-1] == (doc["last"] if axis == "latitude" else 360 - step)
            assert np.sign(coord[1] - coord[0]) == np.sign(doc["step"])  # north first

        for name, extra in layout["extra_variables"].items():
            assert f[name].dtype == np.dtype(extra["dtype"])
            assert extra["format"] == "YYYYMMDDHH"
            assert f[name][0] == 2024020100 and f[name][-1] == 2024022923


def test_notebook_uses_the_documented_names(layout: dict) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'PATH_PATTERN = "{layout["path_pattern"]}"' in source
    assert f'PRODUCT = "{layout["product"]}"' in source
    assert f'VARIABLE = "{layout["variable"]}"' in source
    assert f'BUCKET_REGION = "{layout["region"]}"' in source
    assert f'"s3://{layout["bucket"]}"' in source
    friendly = re.search(r"FRIENDLY_NAMES = (\{.*?\})", source)
    assert friendly is not None
    names = json.loads(friendly.group(1))
    assert set(names) == {layout["variable"], *layout["dimensions"]}
    assert [names[layout["variable"]], *(names[d] for d in layout["dimensions"])] == [
        "t2m", "time", "lat", "lon"]
    assert f'drop_variables={list(layout["extra_variables"])}'.replace("'", '"') in source
