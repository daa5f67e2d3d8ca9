"""Uploaded files put where an import reads them: a temporary folder, each part under its
own base name (never a path the sender chose). One part is the dataset itself (or a .zip
the import unpacks without trusting it); several parts are the files of one dataset —
a Shapefile's .shp, .shx, .dbf, .prj and .cpg."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from gis.errors import SourceError
from gis.sources import DATASET_FILE_SUFFIXES

_CHUNK = 1024 * 1024


def safe_name(name: str | None, *, default: str) -> str:
    """The base name of an uploaded part's file name (a Windows or POSIX path cut to its
    last component); *default* when nothing usable is left."""
    base = PurePosixPath(str(name or "").replace("\\", "/")).name.strip()
    if base in ("", ".", "..") or "\x00" in base:
        return default
    return base


def save_parts(parts: list[tuple[str | None, BinaryIO]], folder: Path) -> Path:
    """Write the uploaded *parts* (file name, readable binary file) into *folder* and return
    what the import should read: the one part, or the folder holding them all. Refuses
    (:class:`SourceError`) no part, two parts of one name, or an archive among several
    parts."""
    if not parts:
        raise SourceError("no file was uploaded: send the dataset as the form field 'file'")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for n, (name, stream) in enumerate(parts):
        base = safe_name(name, default=f"upload-{n}")
        target = folder / base
        if target.exists():
            raise SourceError(f"two uploaded files are named {base!r}; send each part once")
        with open(target, "xb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
        written.append(target)
    if len(written) == 1:
        return written[0]
    archives = [p.name for p in written if p.suffix.lower() == ".zip"]
    if archives:
        raise SourceError(
            f"{', '.join(archives)}: an archive must be the only file uploaded; send the "
            "dataset's files either zipped in one .zip or each as a 'file' part"
        )
    if not any(p.suffix.lower() in DATASET_FILE_SUFFIXES for p in written):
        raise SourceError(
            "none of the uploaded files is a dataset ("
            + ", ".join(p.name for p in written)
            + "); a Shapefile needs its .shp"
        )
    return folder


def without_folders(exc: SourceError, *folders: Path) -> SourceError:
    """*exc* with the temporary *folders* taken out of its message (GDAL names the files it
    could not read by their full path; the sender knows them by their names only). The
    same class and attributes (a missing CRS keeps its suggestion)."""
    message = str(exc)
    for folder in folders:
        for form in (
            f"{Path(folder).resolve()}/",
            f"{folder}/",
            str(Path(folder).resolve()),
            str(folder),
        ):
            message = message.replace(form, "")
    if message == str(exc):
        return exc
    scrubbed = copy.copy(exc)
    scrubbed.args = (message,)
    return scrubbed
