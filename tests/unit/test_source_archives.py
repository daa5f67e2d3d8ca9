"""No database: archives are unpacked only when every member is safe, and nothing is left
written when one is not; the one dataset in what was handed over is found, and a
Shapefile without its parts is refused naming them."""

from __future__ import annotations

import struct
import uuid
import zipfile
from pathlib import Path

import pytest
from support_landfiles import (
    ugly_parcels_4545,
    write_absolute_zip,
    write_filegdb,
    write_geojson,
    write_lying_zip,
    write_many_members_zip,
    write_shapefile,
    write_symlink_zip,
    write_traversal_zip,
    write_zip_bomb,
    zip_paths,
)

from gis.errors import ArchiveError, SourceError
from gis.sources import ArchiveLimits, find_dataset, unpack_archive


@pytest.fixture(scope="module")
def parcels():
    return ugly_parcels_4545()


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- a good archive ---------------------------------------------------------------------------


def test_a_zipped_shapefile_unpacks_and_its_shp_is_found(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "parcels.shp", cpg=True)
    archive = zip_paths([shp], tmp_path / "parcels.zip")
    out = unpack_archive(archive, tmp_path / "out")
    assert out == tmp_path / "out"
    assert _everything(out) == [
        "parcels.cpg",
        "parcels.dbf",
        "parcels.prj",
        "parcels.shp",
        "parcels.shx",
    ]
    for part in ("shp", "dbf", "shx"):
        assert (out / f"parcels.{part}").read_bytes() == shp.with_suffix(f".{part}").read_bytes()
    assert find_dataset(out) == out / "parcels.shp"


def test_gbk_member_names_from_chinese_windows_unpack_as_chinese(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "宗地图.shp")
    archive = zip_paths([shp], tmp_path / "宗地.zip", folder="蔡家坡", name_encoding="gbk")
    with zipfile.ZipFile(archive) as raw:  # the names really are stored as GBK, unflagged
        info = raw.infolist()[0]
        assert not info.flag_bits & 0x800
        assert info.filename.encode("cp437").decode("gbk").startswith("蔡家坡/宗地图.")
    out = unpack_archive(archive, tmp_path / "out")
    assert find_dataset(out) == out / "蔡家坡" / "宗地图.shp"


def test_a_zipped_file_geodatabase_is_found_as_its_folder(tmp_path, parcels):
    gdb = write_filegdb(parcels, tmp_path / "src" / "parcels.gdb")
    out = unpack_archive(zip_paths([gdb], tmp_path / "gdb.zip"), tmp_path / "out")
    assert find_dataset(out) == out / "parcels.gdb"


def test_macos_resource_forks_are_not_taken_for_a_second_dataset(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "parcels.shp")
    archive = zip_paths([shp], tmp_path / "mac.zip")
    with zipfile.ZipFile(archive, "a") as extra:
        extra.writestr("__MACOSX/._parcels.shp", b"\x00\x05\x16\x07")
        extra.writestr("._parcels.shp", b"\x00\x05\x16\x07")
    out = unpack_archive(archive, tmp_path / "out")
    assert find_dataset(out) == out / "parcels.shp"


# --- finding the dataset -----------------------------------------------------------------------


def test_a_zip_without_a_dataset_is_refused_naming_what_it_holds(tmp_path):
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("说明.txt", "见附件")
        z.writestr("parcels.dbf", b"\x03" + bytes(31))
    out = unpack_archive(archive, tmp_path / "out")
    with pytest.raises(SourceError) as raised:
        find_dataset(out)
    message = str(raised.value)
    assert "no dataset" in message
    assert "说明.txt" in message and "parcels.dbf" in message
    assert ".shp" in message


def test_a_zip_with_two_datasets_is_refused_listing_both(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "a.shp")
    geojson = write_geojson(parcels, tmp_path / "src" / "b.geojson")
    out = unpack_archive(zip_paths([shp, geojson], tmp_path / "two.zip"), tmp_path / "out")
    with pytest.raises(SourceError) as raised:
        find_dataset(out)
    message = str(raised.value)
    assert "a.shp" in message and "b.geojson" in message
    assert "one" in message


@pytest.mark.parametrize(("missing", "named"), [(".dbf", "attribute table"), (".shx", "index")])
def test_a_shapefile_missing_a_part_is_refused_naming_it(tmp_path, parcels, missing, named):
    shp = write_shapefile(parcels, tmp_path / "parcels.shp")
    shp.with_suffix(missing).unlink()
    with pytest.raises(SourceError) as raised:
        find_dataset(tmp_path)
    assert missing in str(raised.value) and named in str(raised.value)
    with pytest.raises(SourceError, match=missing):
        find_dataset(shp)


def test_shapefile_parts_in_capitals_count(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "parcels.shp")
    for part in shp.parent.iterdir():
        part.rename(tmp_path / part.name.upper())
    assert find_dataset(tmp_path / "PARCELS.SHP") == tmp_path / "PARCELS.SHP"


def test_an_archive_or_a_shapefile_part_handed_over_by_itself_is_refused_with_advice(tmp_path):
    archive = write_many_members_zip(tmp_path / "x.zip", count=1)
    with pytest.raises(SourceError, match="unpack"):
        find_dataset(archive)
    dbf = tmp_path / "parcels.dbf"
    dbf.write_bytes(b"\x03" + bytes(31))
    with pytest.raises(SourceError, match=r"\.shp"):
        find_dataset(dbf)


# --- unsafe archives: refused, nothing written --------------------------------------------------


@pytest.mark.parametrize("name", ["../../{tag}.txt", "..\\..\\{tag}.txt", "ok/../../{tag}.txt"])
def test_a_member_climbing_out_of_the_folder_is_refused_and_nothing_is_written(tmp_path, name):
    tag = f"evil-{uuid.uuid4().hex}"
    archive = write_traversal_zip(tmp_path / "evil.zip", name=name.format(tag=tag))
    into = tmp_path / "a" / "b" / "out"
    with pytest.raises(ArchiveError, match=r"\.\."):
        unpack_archive(archive, into)
    assert _everything(into) == []  # not even the harmless member before it
    assert not list(tmp_path.rglob(f"{tag}*"))
    assert not list(tmp_path.parent.glob(f"{tag}*"))


@pytest.mark.parametrize("name", ["/tmp/{tag}.txt", "C:\\Windows\\{tag}.txt", "//server/{tag}"])
def test_a_member_with_an_absolute_name_is_refused_and_nothing_is_written(tmp_path, name):
    tag = f"abs-{uuid.uuid4().hex}"
    archive = write_absolute_zip(tmp_path / "abs.zip", name=name.format(tag=tag))
    into = tmp_path / "out"
    with pytest.raises(ArchiveError, match="absolute"):
        unpack_archive(archive, into)
    assert _everything(into) == []
    assert not Path(f"/tmp/{tag}.txt").exists()


def test_a_symbolic_link_member_is_refused_and_nothing_is_written(tmp_path):
    archive = write_symlink_zip(tmp_path / "link.zip")
    into = tmp_path / "out"
    with pytest.raises(ArchiveError, match="link"):
        unpack_archive(archive, into)
    assert _everything(into) == []


def test_a_zip_bomb_is_refused_by_its_ratio_before_anything_is_written(tmp_path):
    archive = write_zip_bomb(tmp_path / "bomb.zip")
    assert archive.stat().st_size < 1024 * 1024
    into = tmp_path / "out"
    with pytest.raises(ArchiveError, match="zip bomb"):
        unpack_archive(archive, into)
    assert _everything(into) == []


def test_an_archive_declaring_more_than_the_total_allowed_is_refused(tmp_path):
    archive = write_many_members_zip(tmp_path / "many.zip", count=20)
    into = tmp_path / "out"
    with pytest.raises(ArchiveError, match="expand to 20 bytes"):
        unpack_archive(archive, into, limits=ArchiveLimits(max_total_bytes=19))
    assert _everything(into) == []


def test_an_archive_with_too_many_members_is_refused(tmp_path):
    archive = write_many_members_zip(tmp_path / "many.zip", count=11)
    with pytest.raises(ArchiveError, match="11 members"):
        unpack_archive(archive, tmp_path / "out", limits=ArchiveLimits(max_members=10))
    assert _everything(tmp_path / "out") == []
    assert len(_everything(unpack_archive(archive, tmp_path / "ok"))) == 11


def test_a_member_expanding_beyond_its_declared_size_is_stopped_and_removed(tmp_path):
    archive = write_lying_zip(tmp_path / "lying.zip", actual_bytes=4 * 1024**2, declared=1000)
    with zipfile.ZipFile(archive) as raw:
        assert raw.infolist()[0].file_size == 1000
    into = tmp_path / "out"
    with pytest.raises(ArchiveError, match="parcels.dbf"):
        unpack_archive(archive, into)
    assert not into.exists()  # the partly written member and the folder made for it are gone


def test_an_encrypted_member_is_refused(tmp_path):
    archive = tmp_path / "locked.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("parcels.shp", b"not really encrypted")
    data = bytearray(archive.read_bytes())  # zipfile cannot encrypt: set the flag by hand
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + flags_at
        struct.pack_into("<H", data, at, struct.unpack_from("<H", data, at)[0] | 0x1)
    archive.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="password"):
        unpack_archive(archive, tmp_path / "out")


def test_unpacking_never_overwrites_a_file_already_there(tmp_path, parcels):
    shp = write_shapefile(parcels, tmp_path / "src" / "parcels.shp")
    archive = zip_paths([shp], tmp_path / "parcels.zip")
    into = tmp_path / "out"
    into.mkdir()
    (into / "parcels.shx").write_bytes(b"mine")
    with pytest.raises(ArchiveError, match="overwrite"):
        unpack_archive(archive, into)
    assert _everything(into) == ["parcels.shx"]
    assert (into / "parcels.shx").read_bytes() == b"mine"


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    fake = tmp_path / "parcels.zip"
    fake.write_bytes(b"Rar!\x1a\x07\x00" + bytes(100))
    with pytest.raises(ArchiveError, match="not a readable"):
        unpack_archive(fake, tmp_path / "out")
