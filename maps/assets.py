"""A map page as HTML, optionally with every local script and stylesheet copied into it
(and the images those stylesheets use as data URIs), so the file works without the
server — on a machine with no network at all."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path

import folium

from maps.errors import MissingAsset

_SCRIPT_LINK = re.compile(r'<script src="([^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"/>')
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*(//# sourceMappingURL=.*|/\*# sourceMappingURL=.*\*/)\s*$", re.M)


def inline_assets(page: str, roots: Mapping[str, Path]) -> str:
    """*page* with every ``<script src>`` and stylesheet link whose URL starts with one of
    the bases in *roots* (URL base -> local folder) replaced by the file's content.
    Raises :class:`MissingAsset` when such a file is not there."""
    bases = sorted(((b.rstrip("/") + "/", Path(r)) for b, r in roots.items()), reverse=True)

    def local(url: str) -> Path | None:
        for base, root in bases:
            if url.startswith(base):
                path = root / url[len(base) :]
                if not path.is_file():
                    raise MissingAsset(
                        f"{path} is missing: the assets are not installed, run `make web` "
                        "(scripts/vendor-web.sh)"
                    )
                return path
        return None

    def script(match: re.Match[str]) -> str:
        path = local(match.group(1))
        if path is None:
            return match.group(0)
        code = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
        return "<script>" + code.replace("</script", "<\\/script") + "</script>"

    def style(match: re.Match[str]) -> str:
        path = local(match.group(1))
        if path is None:
            return match.group(0)
        css = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
        css = _CSS_URL.sub(lambda u: _data_uri(u, path.parent), css)
        return "<style>" + css.replace("</style", "<\\/style") + "</style>"

    # Functions as replacements: the inlined code is taken literally, backslashes and all.
    page = _SCRIPT_LINK.sub(script, page)
    return _CSS_LINK.sub(style, page)


def _data_uri(match: re.Match[str], folder: Path) -> str:
    """``url(images/x.png)`` of a stylesheet in *folder* as a data URI, when the file is
    there; other URLs (data:, fragments, absent files) stay as they are."""
    ref = match.group(2).strip()
    if ref.startswith(("data:", "#", "/")) or "://" in ref:
        return match.group(0)
    path = (folder / ref.split("?")[0].split("#")[0]).resolve()
    if not path.is_file():
        return match.group(0)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'url("data:{mime};base64,{payload}")'


def render_html(
    m: folium.Map,
    *,
    inline_assets_from: Path | None = None,
    inline_app_from: Path | None = None,
) -> str:
    """The map as a whole HTML page.

    With *inline_assets_from* (the ``web/static/vendor`` directory), every script and
    stylesheet under the map's asset base is copied into the page, and so is every one
    under its app base, from *inline_app_from* (default: ``map`` beside the vendor
    directory, i.e. ``web/static/map``); the images the stylesheets use become data
    URIs. The file then works offline without the server. Otherwise the page loads them
    from those bases. Raises :class:`MissingAsset` when a file to inline is not there.
    """
    page = m.get_root().render()
    if inline_assets_from is None:
        return page
    vendor = Path(inline_assets_from)
    roots = {getattr(m, "asset_base", "/static/vendor"): vendor}
    app_base = getattr(m, "app_base", None)
    if app_base:
        roots[app_base] = Path(inline_app_from) if inline_app_from else vendor.parent / "map"
    return inline_assets(page, roots)
