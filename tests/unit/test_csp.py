"""The Content-Security-Policy (``service.pages.csp``): the policy allows this site and
the configured basemap's tile servers only, the nonce goes on every script the service
writes and on nothing a text from the data could smuggle in, and the basemap's hosts
are named exactly (or the service does not start)."""

from __future__ import annotations

import re

import pytest

from maps.builder import build_park_map, render_html
from service.maps.pages import basemap_sources
from service.pages.csp import (
    new_nonce,
    policy_for,
    policy_template,
    source_of,
    with_nonce,
)
from service.settings import Settings

NONCE = "abcDEF123_-xyz"
HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)><SCRIPT src="//x">'
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


# --- the policy ------------------------------------------------------------------------------


def test_the_policy_allows_this_site_and_the_requests_nonce_only():
    policy = _directives(policy_for(NONCE))
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{NONCE}'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }


def test_the_policy_lets_images_come_from_the_basemap_hosts_only():
    policy = _directives(policy_template(["https://a.example.org", "https://a.example.org"]))
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://a.example.org"]
    assert [name for name, sources in policy.items() if "https://a.example.org" in sources] == [
        "img-src"
    ]


def test_each_nonce_is_new_and_url_safe():
    nonces = {new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", n) for n in nonces)


# --- host-sources of tile URLs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("HTTP://Tiles.Example.org:8080/a/{z}/{x}/{y}.png?k=1;2", "http://tiles.example.org:8080"),
        ("//tiles.example.org/{z}/{x}/{y}.png", "tiles.example.org"),
        ("/tiles/vec/{z}/{x}/{y}.png", None),
    ],
)
def test_a_tile_url_is_allowed_by_its_origin_alone(url: str, source: str | None):
    assert source_of(url) == source


@pytest.mark.parametrize(
    "url",
    [
        "https://{s}.example.org/{z}/{x}/{y}.png",  # a placeholder left in the host
        "https://a.example.org;script-src */{z}/{x}/{y}.png",
        "https://user:pw@a.example.org/{z}/{x}/{y}.png",
        "https://a.example.org:port/{z}/{x}/{y}.png",
        "javascript:alert(1)",
        "ftp://a.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_whose_host_cant_be_named_in_a_policy_is_refused(url: str):
    with pytest.raises(ValueError):
        source_of(url)


def test_no_basemap_means_no_foreign_host():
    assert basemap_sources(Settings(basemap="none")) == ()


def test_the_basemaps_tile_servers_are_the_foreign_hosts():
    assert basemap_sources(Settings(basemap="osm")) == ("https://tile.openstreetmap.org",)
    tianditu = basemap_sources(Settings(basemap="tianditu", tianditu_key="abc123"))
    assert tianditu == tuple(f"https://t{i}.tianditu.gov.cn" for i in range(8))
    custom = Settings(basemap="custom", tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert basemap_sources(custom) == tuple(f"https://{s}.tiles.example.org" for s in "abc")
    own = Settings(basemap="custom", tile_url="/tiles/vec/{z}/{x}/{y}.png")
    assert basemap_sources(own) == ()


def test_a_basemap_whose_host_cant_be_named_stops_the_service():
    from service.api.app import create_app

    bad = Settings(basemap="custom", tile_url="https://a.example.org;x/{z}/{x}/{y}.png")
    with pytest.raises(ValueError):
        create_app(bad)


# --- the nonce on the pages' scripts ---------------------------------------------------------


def test_the_nonce_goes_on_every_inline_script_element_that_has_none():
    page = (
        '<script>a()</script><script src="/static/x.js"></script>\n'
        '<SCRIPT type="module">b()</SCRIPT><script\nsrc="/y.js"></script>'
        '<script nonce="other">c()</script><script/>'
    )
    tags = SCRIPT_TAG.findall(with_nonce(page, NONCE))
    assert [t for t in tags if f'nonce="{NONCE}"' not in t] == [
        '<script src="/static/x.js">',  # a file of this site: allowed as 'self'
        '<script\nsrc="/y.js">',
        '<script nonce="other">',
    ]
    assert len(tags) == 6


def test_escaped_text_and_lookalike_tags_get_no_nonce():
    page = "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><scripts></scripts><script-x></script-x>"
    assert with_nonce(page, NONCE) == page


def test_a_nonce_that_is_not_url_safe_is_refused():
    with pytest.raises(ValueError):
        with_nonce("<script></script>", 'x" onload="alert(1)')


def _map_page(text: str) -> str:
    parcel = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[107.59, 34.31], [107.6, 34.31], [107.6, 34.32], [107.59, 34.31]]],
        },
        "properties": {"parcel_code": text, "park": "caijiapo", "holder": text},
    }
    park = {**parcel, "properties": {"code": "caijiapo", "name_zh": text, "name_en": text}}
    m = build_park_map(
        title_zh=text,
        title_en=text,
        parks={"type": "FeatureCollection", "features": [park]},
        parcels={"type": "FeatureCollection", "features": [parcel]},
        buildings={"type": "FeatureCollection", "features": []},
        projects={"type": "FeatureCollection", "features": []},
        land_use_classes=[{"code": "0601", "name_zh": text, "name_en": text}],
        criteria_lines=[(text, text)],
    )
    return render_html(m)


def test_a_map_page_gets_the_nonce_on_its_own_scripts_and_hostile_text_gets_none():
    plain = with_nonce(_map_page("plain"), NONCE)
    hostile = with_nonce(_map_page(HOSTILE), NONCE)
    plain_tags = SCRIPT_TAG.findall(plain)
    inline = [t for t in plain_tags if "src=" not in t]
    assert len(inline) >= 2 and all(f'nonce="{NONCE}"' in t for t in inline)
    # The hostile text is in the page, escaped: it adds no element, so nothing gets a nonce
    # that the map did not write itself.
    assert SCRIPT_TAG.findall(hostile) == plain_tags
    assert "alert(1)" in hostile and "<img src=x" not in hostile
