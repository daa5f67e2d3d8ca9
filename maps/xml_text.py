"""Text from the data made safe to put into an XML document. ElementTree escapes markup
(``<``, ``&``, quotes) itself, but writes characters XML 1.0 does not allow at all (most
control characters) as they are, which makes the whole document unreadable."""

from __future__ import annotations

import re

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """*value* as text an XML 1.0 document can hold: every character XML forbids replaced by
    U+FFFD (seen, not silently dropped)."""
    return _NOT_XML.sub("\ufffd", str(value))
