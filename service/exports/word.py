"""What every Word document the service writes (python-docx) shares: A4 landscape pages
with 15 mm margins, Chinese set in 宋体 beside Times New Roman, and record text made safe
for the document's XML (a control character shown as ``\\xNN``, ``—`` for nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from service.exports.cells import xlsx_text

DASH = "—"
FONT_LATIN = "Times New Roman"
FONT_CJK = "SimSun"  # 宋体: what a Chinese government document is set in


def document_text(value: Any) -> str:
    """*value* as text a document can hold: ``—`` when empty."""
    if value is None or value == "":
        return DASH
    return xlsx_text(str(value))


def set_cjk_font(style_or_run: Any, size_pt: float | None = None) -> None:
    """Set *style_or_run* in Times New Roman with 宋体 for Chinese (at *size_pt*, if given)."""
    font = style_or_run.font
    font.name = FONT_LATIN
    if size_pt is not None:
        font.size = Pt(size_pt)
    r_pr = style_or_run.element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), FONT_CJK)


def landscape_document(
    *, body_pt: float, headings: Iterable[str] = ("Title", "Heading 1", "Heading 2")
) -> DocumentType:
    """A new A4 landscape document, 15 mm margins, its body at *body_pt* and the
    *headings* styles in the Chinese font."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    set_cjk_font(doc.styles["Normal"], body_pt)
    for name in headings:
        set_cjk_font(doc.styles[name])
    return doc
