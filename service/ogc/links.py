"""Links: absolute URLs under the OGC API's root (``…/ogc``, as the request reached it)
and the link objects of its documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from service.ogc import formats


def link(href: str, rel: str, media_type: str, title: str) -> dict[str, Any]:
    """A link object (``href``, ``rel``, ``type``, ``title``)."""
    return {"href": href, "rel": rel, "type": media_type, "title": title}


class Urls:
    """The URLs of one API root, e.g. ``http://host:8000/ogc``."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    def url(self, path: str = "", params: Iterable[tuple[str, Any]] = ()) -> str:
        """``root + path`` with the query *params* (in order; None values left out)."""
        query = urlencode([(k, str(v)) for k, v in params if v is not None])
        return f"{self.root}{path}" + (f"?{query}" if query else "")

    def collection(self, collection_id: str, rest: str = "") -> str:
        """The path of a collection (or of what is under it: ``/items`` …)."""
        return f"/collections/{quote(collection_id, safe='')}{rest}"

    def pair(
        self, path: str, *, media_type: str, title: str, html: bool, params=()
    ) -> list[dict[str, Any]]:
        """``self`` and ``alternate`` links of a document served as JSON and HTML (the
        one being answered is *self*)."""
        params = [(k, v) for k, v in params if k != "f"]
        as_json = link(
            self.url(path, [*params, ("f", "json")]), "self", media_type, f"{title} (JSON)"
        )
        as_html = link(
            self.url(path, [*params, ("f", "html")]), "self", formats.HTML, f"{title} (HTML)"
        )
        if html:
            as_json["rel"] = "alternate"
            return [as_html, as_json]
        as_html["rel"] = "alternate"
        return [as_json, as_html]
