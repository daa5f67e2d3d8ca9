"""The encoding of a handed-over file's attribute text, decided and said: a Shapefile's
``.cpg``, an encoding given, or the text tried strictly as UTF-8 and, when it does not
decode, as GB18030 (GBK and GB2312 files come without a .cpg). Nothing here calls GDAL:
the bytes of a DBF, CSV, GeoJSON or DXF are decoded in Python to test an encoding before
GDAL reads the file in it.

Also the repair of a DBF whose field names were cut inside a character (the DBF holds 10
bytes of a name): :func:`cut_field_names` finds them, GDAL reads the file byte for byte
(:data:`BYTE_FOR_BYTE`) and :func:`recoded` decodes the frame's text and names.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from gis.errors import SourceError

#: The codec GDAL is told to read a Shapefile's text in when :func:`recoded` is to decode
#: it afterwards: Latin-1 maps every byte to one character, so nothing is lost.
BYTE_FOR_BYTE = "iso8859-1"

#: Formats whose text is UTF-8 by definition (KML's is declared by its XML).
_FIXED_ENCODING = {"GeoPackage", "GeoJSON", "File Geodatabase", "KML"}
#: Chinese code pages whose text GB18030 (their superset) decodes the same.
_GB_FAMILY = {"gb2312", "gbk", "gb18030"}
_FALLBACK = "gb18030"
_CHUNK = 1024 * 1024


class TextEncoding(NamedTuple):
    """How to read a file's attribute text, and how that was decided."""

    codec: str | None
    """The Python codec to have GDAL decode the text with (:func:`gdal_codec_name` spells
    it for GDAL); None: the format's own (GeoPackage, GeoJSON, File Geodatabase, KML, and
    a UTF-8 CSV, which GDAL reads as UTF-8 and drops the BOM of)."""
    reported: str | None
    """The encoding as a technician is told it (``"GBK"`` from a .cpg, ``"GB18030"``
    fallen back to, an encoding given as given); None when the format fixes it."""
    source: str
    """``"cpg"``, ``"given"``, ``"utf-8"`` (tried, it decoded), ``"gb18030 (fallback)"`` or
    ``"format"``."""


def decide_encoding(path: Path, kind: str, given: str | None, notes: list[str]) -> TextEncoding:
    """The encoding of the attribute text of *path*, a dataset of format *kind* (one of
    ``"Shapefile"``, ``"GeoPackage"``, ``"GeoJSON"``, ``"File Geodatabase"``, ``"DXF"``,
    ``"KML"``, ``"CSV"``; for a Shapefile *path* is the ``.shp``, its ``.dbf`` and
    ``.cpg`` found beside it in any letter case).

    * GeoPackage, GeoJSON, File Geodatabase, KML: the format's own (codec None, source
      ``"format"``); *given* is ignored, and a note says so. A GeoJSON that is not UTF-8
      raises :class:`SourceError`.
    * *given*: used when the text decodes strictly in it (GBK and GB2312 are read as
      GB18030, their superset), else :class:`SourceError`; an unknown name raises too.
    * a Shapefile's ``.cpg`` (an encoding's name or a Windows code page such as ``936``):
      used when the DBF decodes in it, else :class:`SourceError` naming what it decodes in.
    * otherwise UTF-8 when all the text decodes strictly as UTF-8, else GB18030 with a note
      (in *notes*) that it was a fallback; text that decodes in neither raises
      :class:`SourceError`. A UTF-8 CSV gets codec None (GDAL's own UTF-8 reading).

    Of a Shapefile the DBF's field names and records are tested, of any other file all its
    bytes. Nothing decided here yields mojibake: what does not decode raises.
    """
    if kind in _FIXED_ENCODING:
        if given:
            notes.append(f"encoding {given} was ignored: a {kind} fixes or declares its own")
        if kind == "GeoJSON" and not _decodes(path, "utf-8"):
            raise SourceError(
                f"{path.name}: is not UTF-8 text, which GeoJSON must be (RFC 7946); save it "
                f"again as UTF-8"
            )
        return TextEncoding(None, None, "format")
    if kind == "Shapefile":
        return _shapefile_encoding(path, given, notes)
    text = _tried_encoding(path, given, what=path.name, notes=notes)
    if kind == "CSV" and text.codec == "utf-8":
        return text._replace(codec=None)  # GDAL reads CSV as UTF-8 (and drops a BOM)
    return text


def gdal_codec_name(codec: str | None) -> str | None:
    """A Python codec's name as GDAL (iconv) knows it too, for pyogrio's ``encoding``:
    pyogrio hands a Shapefile's encoding to GDAL, which knows ``ISO-8859-1`` and
    ``SHIFT-JIS`` but not ``latin_1`` or ``shift_jis``; Python reads either spelling. None
    stays None (the format's own)."""
    if codec is None:
        return None
    name = codecs.lookup(codec).name.upper().replace("_", "-")
    return re.sub(r"^ISO8859-", "ISO-8859-", name)


def undecodable(path: Path, exc: UnicodeDecodeError) -> SourceError:
    """The :class:`SourceError` to raise when text read from *path* did not decode (*exc*,
    raised by pyogrio) in the encoding decided."""
    return SourceError(
        f"{path.name}: text in it is not valid {exc.encoding} ({exc.reason} at byte "
        f"{exc.start}); give the encoding it was written in (e.g. GB18030)"
    )


def cut_field_names(shp: Path, codec: str) -> list[str]:
    """The field names in the DBF beside the Shapefile *shp* that end in part of a *codec*
    character (a tool cut them at the DBF's 10 bytes), decoded as far as they go; empty
    when no name was cut. pyogrio decodes names strictly, so when some are cut the file
    is read :data:`BYTE_FOR_BYTE` and :func:`recoded`."""
    cut = []
    for name in _dbf_names(_sibling(shp, ".dbf"))[0]:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        text = decoder.decode(name, final=False)
        if decoder.getstate()[0]:  # bytes left over: a character cut in two
            cut.append(text)
    return cut


def recoded(frame: gpd.GeoDataFrame, codec: str) -> gpd.GeoDataFrame:
    """*frame* read :data:`BYTE_FOR_BYTE` (Latin-1) with its text decoded in *codec*, and its
    column names too, a cut character at a name's end dropped."""

    def name(value: str) -> str:
        decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        return decoder.decode(value.encode("latin-1"), final=False)

    def cell(value):
        return value.encode("latin-1").decode(codec) if isinstance(value, str) else value

    geometry = frame.geometry.name
    text_columns = [
        c
        for c in frame.columns
        if c != geometry and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
    ]
    frame = frame.copy()
    for column in text_columns:
        frame[column] = frame[column].map(cell)
    return frame.rename(columns={c: name(c) for c in frame.columns if c != geometry})


# --- deciding ------------------------------------------------------------------------------


def _shapefile_encoding(path: Path, given: str | None, notes: list[str]) -> TextEncoding:
    dbf = _sibling(path, ".dbf")
    cpg = _sibling(path, ".cpg")
    if given or cpg is None:
        return _tried_encoding(dbf, given, what=dbf.name, notes=notes)
    declared = cpg.read_bytes().decode("ascii", errors="replace").strip()
    codec = _cpg_codec(declared)
    if codec is None:
        raise SourceError(
            f"{cpg.name}: names the encoding {declared!r}, which is not known; give the "
            f"encoding the attribute text is in (e.g. GB18030 or UTF-8)"
        )
    reading = _FALLBACK if codec in _GB_FAMILY else codec
    if not _decodes(dbf, reading):
        instead = next((c for c in ("utf-8", _FALLBACK) if c != reading and _decodes(dbf, c)), None)
        hint = f" (it decodes as {instead.upper()})" if instead else ""
        raise SourceError(
            f"{path.name}: its .cpg says {declared!r} but the attribute text is not valid "
            f"{codec.upper()}{hint}; correct the .cpg or give the encoding"
        )
    return TextEncoding(reading, codec.upper(), "cpg")


def _tried_encoding(data: Path, given: str | None, *, what: str, notes: list[str]) -> TextEncoding:
    """*given* when the text decodes in it, else UTF-8 when it decodes, else GB18030."""
    if given:
        try:
            codec = codecs.lookup(given).name
        except LookupError:
            raise SourceError(f"{given!r} is not an encoding this reader knows") from None
        if not _decodes(data, codec):
            raise SourceError(
                f"{what}: its text is not valid {given}; give the encoding it was written in"
            )
        return TextEncoding(_FALLBACK if codec in _GB_FAMILY else codec, given, "given")
    if _decodes(data, "utf-8"):
        return TextEncoding("utf-8", "UTF-8", "utf-8")
    if _decodes(data, _FALLBACK):
        notes.append(
            f"{what}: the text is not UTF-8 and no encoding was declared; it was read as "
            f"GB18030 (which covers GBK and GB2312) — give the encoding if that is wrong"
        )
        return TextEncoding(_FALLBACK, "GB18030", "gb18030 (fallback)")
    raise SourceError(
        f"{what}: its text is neither UTF-8 nor GB18030; give the encoding it was written in"
    )


def _cpg_codec(declared: str) -> str | None:
    """The Python codec a .cpg's content names: an encoding name (``UTF-8``, ``GBK``) or a
    Windows code page (``936``, ``ANSI 936``, ``65001``, ``88591``)."""
    text = declared.strip().strip("\x00")
    page = re.fullmatch(r"(?:ANSI|CP|WINDOWS)?[\s_-]*(\d{3,5})", text, flags=re.IGNORECASE)
    if page:
        number = page.group(1)
        if number == "65001":
            text = "utf-8"
        elif number.startswith("8859") and len(number) > 4:
            text = f"iso8859-{number[4:]}"
        else:
            text = f"cp{number}"
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def _decodes(path: Path, codec: str) -> bool:
    """Whether the text in *path* decodes strictly in *codec*: for a .dbf its field names
    and its records (the binary header is skipped), for any other file all of it."""
    if path.suffix.lower() == ".dbf":
        return _dbf_decodes(path, codec)
    return _stream_decodes(path, codec, start=0)


def _dbf_decodes(dbf: Path, codec: str) -> bool:
    """Whether a DBF's field names and records decode in *codec*. A name may end in part
    of a character: the DBF holds 10 bytes of a name, and tools cut longer ones there
    (``宗地编号`` is 12 bytes in UTF-8)."""
    names, header_length = _dbf_names(dbf)
    if header_length is None:
        return True  # not a DBF header we can test: GDAL will say what is wrong
    try:
        for name in names:
            codecs.getincrementaldecoder(codec)(errors="strict").decode(name, final=False)
    except UnicodeDecodeError:
        return False
    return _stream_decodes(dbf, codec, start=header_length)


def _dbf_names(dbf: Path) -> tuple[list[bytes], int | None]:
    """The field names in a DBF's header as bytes, and the header's length (None when the
    header cannot be made out)."""
    with open(dbf, "rb") as handle:
        head = handle.read(32)
        header_length = int.from_bytes(head[8:10], "little") if len(head) == 32 else 0
        descriptors = handle.read(max(header_length - 32, 0))
    if header_length <= 32 or len(descriptors) < header_length - 32:
        return [], None
    names = []
    for offset in range(0, len(descriptors) - 31, 32):
        if descriptors[offset] == 0x0D:  # end of the field descriptors
            break
        names.append(descriptors[offset : offset + 11].split(b"\x00", 1)[0])
    return names, header_length


def _stream_decodes(path: Path, codec: str, *, start: int) -> bool:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file beside *path* with the same name and *suffix*, in any letter case."""
    exact = path.with_suffix(suffix)
    if exact.exists():
        return exact
    return next(
        (
            other
            for other in path.parent.iterdir()
            if other.stem == path.stem and other.suffix.lower() == suffix
        ),
        None,
    )
