"""Every page template and every script of our own keeps to what the pages' policy lets
run (``service.pages.csp``): an inline ``<script>`` carries the request's nonce, nothing
runs from an event-handler attribute (``onclick=``) or a ``javascript:`` URL, and no
script evaluates a string as code (``eval``, ``Function``, ``setTimeout("...")``) — the
browser would refuse each. The vendored libraries are held to it by the browser test
(``tests/browser/test_browser_csp.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "web" / "templates").glob("*.html"))
OWN_SCRIPTS = sorted(
    p
    for p in (ROOT / "web" / "static").rglob("*.js")
    if "vendor" not in p.relative_to(ROOT / "web" / "static").parts
)

_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
# In a script: markup with a handler in a string, a javascript: URL, code from a string.
_JS_HANDLER_MARKUP = re.compile(r"""\son[a-z]+\s*=\s*\\?["'{]""", re.IGNORECASE)
_JS_EVAL = re.compile(
    r"""\beval\s*\(|\bFunction\s*\(|\bset(?:Timeout|Interval)\s*\(\s*["'`]|(?i:javascript:)"""
)


def _code(path: Path) -> str:
    """A script without its comments (they may name what the code must not do)."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def test_there_are_templates_and_scripts_to_check():
    assert len(TEMPLATES) >= 10
    assert ROOT / "web" / "static" / "map" / "plm.js" in OWN_SCRIPTS


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_template_has_no_inline_handler_and_no_javascript_url(path: Path):
    text = path.read_text(encoding="utf-8")
    handlers = [t for t in _TAG.findall(text) if _HANDLER_ATTRIBUTE.search(t)]
    assert handlers == []
    assert "javascript:" not in text.lower()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_templates_inline_scripts_carry_the_nonce(path: Path):
    inline = [
        tag
        for tag in _SCRIPT.findall(path.read_text(encoding="utf-8"))
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert [tag for tag in inline if "nonce=" not in tag] == []
    assert all("csp_nonce" in tag for tag in inline)


@pytest.mark.parametrize("path", OWN_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_our_scripts_make_no_handler_markup_and_evaluate_no_string(path: Path):
    code = _code(path)
    assert _JS_HANDLER_MARKUP.findall(code) == []
    assert _JS_EVAL.findall(code) == []
