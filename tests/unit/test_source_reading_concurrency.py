"""No database: files read at the same time from several threads (as two imports do in the
web service's thread pool) each come out in their own encoding — a GBK Shapefile without a
.cpg, a UTF-8 one with its .cpg, a GBK DXF — because every GDAL read and configuration
change goes through the one lock of :mod:`gis.gdal_lock`.

Expected values are the literal Chinese strings the files were written from.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pyogrio
import pytest
from support_landfiles import chinese_fields, ugly_parcels_4545, write_dxf, write_shapefile

from gis.gdal_lock import GDAL_LOCK, gdal_locked
from gis.reading import DXF_LABEL_COLUMN, read_source

THREADS = 6
ROUNDS = 15  # reads of each file by each thread
HOLDERS = [
    "陕西汽车控股集团有限公司",
    "宝鸡市土地储备中心",
    "陕西法士特齿轮有限责任公司",
    "宝鸡市土地储备中心",
    "岐山县蔡家坡镇人民政府",
    "陕西重型汽车有限公司",
]
#: Short Chinese field names: 3 characters fit the DBF's 10 bytes in UTF-8 too.
UTF8_FIELDS = {"parcel_code": "宗地号", "land_use_code": "用途", "holder": "权利人"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A GBK Shapefile without .cpg, a UTF-8 Shapefile with .cpg and a GBK (R2004, cp936)
    DXF, and what reading each must give."""
    folder = tmp_path_factory.mktemp("concurrent")
    parcels = ugly_parcels_4545()
    assert parcels["holder"].tolist() == HOLDERS
    codes = parcels["parcel_code"].tolist()
    gbk = write_shapefile(chinese_fields(parcels), folder / "gbk" / "宗地.shp", encoding="GBK")
    assert not gbk.with_suffix(".cpg").exists()
    utf8 = write_shapefile(
        parcels.rename(columns=UTF8_FIELDS), folder / "utf8" / "p.shp", encoding="UTF-8", cpg=True
    )
    assert utf8.with_suffix(".cpg").exists()
    dxf_labels = [f"蔡家坡-{code[-5:]}" for code in codes]
    dxf = write_dxf(
        parcels.assign(parcel_code=dxf_labels),
        folder / "p.dxf",
        code_column="parcel_code",
        dxfversion="R2004",
        encoding="cp936",
    )
    assert "蔡家坡".encode("gbk") in dxf.read_bytes()
    return {
        "gbk": (gbk, {"宗地编号": codes, "权利人": HOLDERS}, ("GB18030", "gb18030 (fallback)")),
        "utf8": (utf8, {"宗地号": codes, "权利人": HOLDERS}, ("UTF-8", "cpg")),
        "dxf": (dxf, {DXF_LABEL_COLUMN: dxf_labels}, ("GB18030", "gb18030 (fallback)")),
    }


def _check(files, which: str) -> str:
    path, columns, encoding = files[which]
    layer = read_source(path, crs_epsg=4545 if which == "dxf" else None)
    assert (layer.encoding, layer.encoding_source) == encoding, which
    for column, expected in columns.items():
        got = layer.frame[column].tolist()
        if which == "dxf":  # labels come in drawing order
            got, expected = sorted(got), sorted(expected)
        assert got == expected, (which, column)
    return which


def _concurrently(files, kinds: list[str]) -> None:
    """*THREADS* threads, started together, each reading the files of *kinds* in turn
    (each thread starting at another one) *ROUNDS* times; every read checked."""
    start = threading.Barrier(THREADS)

    def worker(k: int) -> list[str]:
        start.wait(timeout=30)
        order = kinds[k % len(kinds) :] + kinds[: k % len(kinds)]
        return [_check(files, which) for _ in range(ROUNDS) for which in order]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    assert sum(len(done) for done in results) == THREADS * ROUNDS * len(kinds)


def test_shapefiles_in_different_encodings_read_concurrently_decode_right(files):
    _concurrently(files, ["gbk", "utf8"])


def test_shapefiles_and_a_dxf_read_concurrently_decode_right(files):
    _concurrently(files, ["gbk", "dxf", "utf8"])
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None  # put back after each read


@pytest.mark.parametrize("which", ["gbk", "utf8", "dxf"])
def test_a_read_waits_for_the_gdal_lock(files, which):
    """Every read takes the one lock: while another thread holds it, a read does not
    finish; once released, it does."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        with GDAL_LOCK:
            future = pool.submit(_check, files, which)
            with pytest.raises(TimeoutError):
                future.result(timeout=0.5)
        assert future.result(timeout=30) == which


def test_gdal_config_set_under_the_lock_is_put_back_even_when_the_block_raises():
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None
    with pytest.raises(RuntimeError), gdal_locked(DXF_ENCODING="GB18030"):
        assert pyogrio.get_gdal_config_option("DXF_ENCODING") == "GB18030"
        elsewhere = ThreadPoolExecutor(max_workers=1)
        assert not elsewhere.submit(GDAL_LOCK.acquire, blocking=False).result()  # held
        elsewhere.shutdown()
        raise RuntimeError("a read failed")
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None
