"""What surveyors hand over: finding the one dataset in a file, a folder or an unpacked
archive, and unpacking ``.zip`` archives without trusting them.

An archive is checked member by member before anything is written (names, links, count,
declared sizes and compression ratios), and while it is written the bytes are counted
against what the members declared; when anything is wrong, :class:`ArchiveError` is raised
and whatever was written is removed again.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis.errors import ArchiveError, SourceError

#: What may be handed over: the dataset formats (a File Geodatabase is a ``.gdb`` folder)
#: and ``.zip`` archives holding one of them.
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".shp",
    ".gpkg",
    ".geojson",
    ".json",
    ".gdb",
    ".dxf",
    ".kml",
    ".csv",
    ".zip",
)
#: Suffixes of files that are a dataset by themselves.
DATASET_FILE_SUFFIXES: tuple[str, ...] = (
    ".shp",
    ".gpkg",
    ".geojson",
    ".json",
    ".dxf",
    ".kml",
    ".csv",
)
#: The parts a Shapefile cannot be read without (besides the .shp), and what each holds.
SHAPEFILE_REQUIRED_PARTS: dict[str, str] = {".dbf": "attribute table", ".shx": "shape index"}
#: Archive formats people hand over that are not read: the message says to hand over a .zip.
OTHER_ARCHIVES = (".rar", ".7z", ".tar", ".gz", ".tgz", ".kmz")

_COPY_CHUNK = 1024 * 1024
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
#: Folders tools put into archives that hold no data: macOS resource forks and the like.
_IGNORED_DIRS = {"__MACOSX"}


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may hold. The compression ratio (declared size over compressed
    size) is judged per member and for the whole archive, but only for members (and
    archives) of at least *ratio_min_bytes* declared: tiny sidecar files (.cpg, a DBF full
    of blanks) compress well without being bombs."""

    max_members: int = 10_000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1024**2


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


def unpack_archive(path: Path, into: Path, *, limits: ArchiveLimits = ArchiveLimits()) -> Path:
    """Extract the ``.zip`` at *path* into the folder *into* (made if missing) and return
    *into*.

    Every member is checked before anything is written: no absolute names (``/x``,
    ``C:\\x``), no ``..`` components, no symbolic links or other special files, no
    encrypted members, no name twice, at most ``limits.max_members`` members, at most
    ``limits.max_total_bytes`` declared in total, and no member (nor the whole) expanding
    more than ``limits.max_ratio`` times. While extracting, a member that yields more bytes
    than it declared (a lying header) stops the extraction. Existing files in *into* are
    never overwritten. Member names not flagged as UTF-8 are decoded as UTF-8 when they are,
    else as GB18030 (Chinese Windows writes GBK names), not as CP437.

    Raises :class:`ArchiveError` saying what is wrong; nothing extracted is left behind,
    nor the folders this call made.
    """
    path, into = Path(path), Path(into)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path.name}: not a readable .zip archive ({exc})") from None
    with archive:
        members = _checked_members(archive.infolist(), limits, what=path.name)
        made: list[Path] = []  # files and folders this call created, in order
        try:
            _make_dirs(into.absolute(), Path(into.absolute().anchor), made)
            root = into.resolve()
            for member in members:
                _extract(archive, member, root, made, what=path.name)
        except BaseException:
            _remove(made)
            raise
    return into


def _checked_members(
    infos: list[zipfile.ZipInfo], limits: ArchiveLimits, *, what: str
) -> list[_Member]:
    if len(infos) > limits.max_members:
        raise ArchiveError(
            f"{what}: holds {len(infos):,} members, more than the {limits.max_members:,} "
            f"allowed; hand over only the dataset"
        )
    members: list[_Member] = []
    seen: set[tuple[str, ...]] = set()
    declared = compressed = 0
    for info in infos:
        name = _member_name(info)
        is_dir = name.endswith(("/", "\\"))
        parts = _safe_parts(name, what=what)
        _check_kind(info, name, what=what)
        if not parts:
            continue
        if parts in seen and not is_dir:
            raise ArchiveError(f"{what}: member {name!r} appears twice")
        seen.add(parts)
        if not is_dir:
            declared += info.file_size
            compressed += info.compress_size
            _check_ratio(
                info.file_size, info.compress_size, limits, what=f"{what}: member {name!r}"
            )
        members.append(_Member(info, parts, is_dir))
    if declared > limits.max_total_bytes:
        raise ArchiveError(
            f"{what}: its members expand to {declared:,} bytes, more than the "
            f"{limits.max_total_bytes:,} allowed"
        )
    _check_ratio(declared, compressed, limits, what=what)
    return members


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author meant it: zip names without the UTF-8 flag are CP437
    by the format, but Chinese Windows tools write GBK there, and some tools UTF-8."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:  # zipfile decoded it with another codec already
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _safe_parts(name: str, *, what: str) -> tuple[str, ...]:
    """The path components of member *name*, refusing absolute names and ``..``; a backslash
    counts as a separator (Windows tools write them)."""
    if "\x00" in name:
        raise ArchiveError(f"{what}: member name {name!r} holds a NUL character")
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _WINDOWS_DRIVE.match(normal):
        raise ArchiveError(
            f"{what}: member {name!r} has an absolute path; an archive may only hold relative names"
        )
    parts = tuple(part for part in normal.split("/") if part not in ("", "."))
    if ".." in parts:
        raise ArchiveError(
            f"{what}: member {name!r} climbs out of the folder it is unpacked into ('..'); refused"
        )
    return parts


def _check_kind(info: zipfile.ZipInfo, name: str, *, what: str) -> None:
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"{what}: member {name!r} is a symbolic link; links are refused")
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise ArchiveError(f"{what}: member {name!r} is not a regular file or folder")
    if info.flag_bits & 0x1:
        raise ArchiveError(
            f"{what}: member {name!r} is password-protected; hand over an unencrypted archive"
        )


def _check_ratio(size: int, packed: int, limits: ArchiveLimits, *, what: str) -> None:
    if size < limits.ratio_min_bytes:
        return
    ratio = size / max(packed, 1)
    if ratio > limits.max_ratio:
        raise ArchiveError(
            f"{what} expands {ratio:,.0f} times ({packed:,} bytes to {size:,}), more than "
            f"the {limits.max_ratio:g} allowed: refused as a possible zip bomb"
        )


#: What reading a damaged or unsupported member raises (CRC mismatch, corrupt data,
#: an unknown compression method, an encrypted member, a truncated archive).
_MEMBER_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
)


def _extract(
    archive: zipfile.ZipFile, member: _Member, root: Path, made: list[Path], *, what: str
) -> None:
    shown = "/".join(member.parts)
    target = root.joinpath(*member.parts)
    # a folder that already existed in *into* may be a link: resolve and check again
    if not target.resolve().is_relative_to(root):
        raise ArchiveError(f"{what}: member {shown!r} would land outside the folder")
    _make_dirs(target if member.is_dir else target.parent, root, made)
    if member.is_dir:
        return
    declared = member.info.file_size
    try:
        # "x": never overwrite a file, never follow a link that is already there; opened
        # before the member so that it is recorded (and removed on failure) at once
        handle = open(target, "xb")  # noqa: SIM115
    except FileExistsError:
        raise ArchiveError(f"{what}: member {shown!r} would overwrite an existing file") from None
    made.append(target)
    written = 0
    with handle:
        try:
            with archive.open(member.info) as source:
                while chunk := source.read(_COPY_CHUNK):
                    written += len(chunk)
                    if written > declared:
                        raise ArchiveError(
                            f"{what}: member {shown!r} expands beyond the {declared:,} bytes "
                            f"it declares; refused"
                        )
                    handle.write(chunk)
        except _MEMBER_READ_ERRORS as exc:
            raise ArchiveError(f"{what}: member {shown!r} cannot be extracted ({exc})") from None


def _make_dirs(folder: Path, root: Path, made: list[Path]) -> None:
    missing = []
    current = folder
    while current != root and not current.exists():
        missing.append(current)
        current = current.parent
    for new in reversed(missing):
        try:
            new.mkdir()
        except OSError as exc:
            raise ArchiveError(f"cannot make folder {new.name!r}: {exc}") from None
        made.append(new)


def _remove(made: list[Path]) -> None:
    for item in reversed(made):
        try:
            if item.is_dir() and not item.is_symlink():
                item.rmdir()
            else:
                item.unlink()
        except OSError:
            pass


# --- finding the dataset --------------------------------------------------------------------


def find_dataset(path: Path) -> Path:
    """The one dataset to read in *path*: a dataset file itself (checked), a ``.gdb``
    folder, or the only dataset inside a folder (an unpacked archive, searched through its
    subfolders but not into ``.gdb`` folders; hidden files and ``__MACOSX`` are skipped).

    Raises :class:`SourceError` when there is none (naming what was found), when there are
    several (listing them: hand over one), when *path* is an archive (unpack it first with
    :func:`unpack_archive`) or another kind of file, or when a Shapefile lacks its ``.dbf``
    or ``.shx`` (naming the missing part).
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_dir():
        if path.suffix.lower() == ".gdb":
            return path
        return _checked_dataset(_only_dataset(path))
    suffix = path.suffix.lower()
    if suffix == ".zip":
        raise SourceError(f"{path.name}: an archive; unpack it (unpack_archive) and look inside")
    if suffix not in DATASET_FILE_SUFFIXES:
        raise SourceError(f"{path.name}: {_not_supported(path)}")
    return _checked_dataset(path)


def _only_dataset(folder: Path) -> Path:
    datasets: list[Path] = []
    others: list[Path] = []
    for current, dirs, files in os.walk(folder):
        here = Path(current)
        keep = []
        for name in sorted(dirs):
            if name.startswith(".") or name in _IGNORED_DIRS:
                continue
            if name.lower().endswith(".gdb"):
                datasets.append(here / name)
            else:
                keep.append(name)
        dirs[:] = keep
        for name in sorted(files):
            if name.startswith("."):
                continue
            file = here / name
            (datasets if file.suffix.lower() in DATASET_FILE_SUFFIXES else others).append(file)
    if len(datasets) == 1:
        return datasets[0]
    if datasets:
        listed = ", ".join(_relative(d, folder) for d in sorted(datasets))
        raise SourceError(
            f"{folder.name}: holds {len(datasets)} datasets ({listed}); hand over one "
            f"dataset at a time"
        )
    if not others:
        raise SourceError(f"{folder.name}: is empty; no dataset to read")
    listed = _listing([_relative(o, folder) for o in sorted(others)])
    hints = []
    if any(o.suffix.lower() in (".dbf", ".shx", ".prj") for o in others):
        hints.append("a Shapefile needs its .shp as well as .dbf and .shx")
    if any(o.suffix.lower() == ".zip" for o in others):
        hints.append("an archive inside the archive must be unpacked and handed over itself")
    if any(o.suffix.lower() in OTHER_ARCHIVES for o in others):
        hints.append("only .zip archives are read")
    hint = f" ({'; '.join(hints)})" if hints else ""
    raise SourceError(
        f"{folder.name}: holds no dataset that can be read (supported: "
        f"{', '.join(SUPPORTED_SUFFIXES)}); found {listed}{hint}"
    )


def _checked_dataset(path: Path) -> Path:
    if path.suffix.lower() != ".shp":
        return path
    siblings = {
        sibling.suffix.lower()
        for sibling in path.parent.iterdir()
        if sibling.stem == path.stem and sibling.is_file()
    }
    missing = [
        f"{suffix} ({what})"
        for suffix, what in SHAPEFILE_REQUIRED_PARTS.items()
        if suffix not in siblings
    ]
    if missing:
        raise SourceError(
            f"{path.name}: the Shapefile's {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing; a Shapefile is several files "
            f"with one name — hand over its .shp, .shx, .dbf, .prj and .cpg together (zipped)"
        )
    return path


def _not_supported(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".dbf", ".shx", ".prj", ".cpg"):
        return "a part of a Shapefile; hand over its .shp (with the .shx and .dbf beside it)"
    if suffix in OTHER_ARCHIVES:
        return f"{suffix} archives are not read; hand over a .zip"
    if suffix in (".xlsx", ".xls", ".ods"):
        return (
            f"not a supported format: a {suffix} workbook carries no boundaries; hand over "
            f"the parcels as a GeoPackage, Shapefile, GeoJSON or CSV with a WKT column"
        )
    return f"not a supported format ({', '.join(SUPPORTED_SUFFIXES)})"


def _relative(path: Path, folder: Path) -> str:
    return str(PurePosixPath(*path.relative_to(folder).parts))


def _listing(names: list[str], *, most: int = 12) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown} and {len(names) - most} more"
