"""Briefing notes: an enquiry -> one Brief structure -> Markdown, HTML, DOCX or JSON.

brief = build_brief(assistant, AnswerRequest(question="..."), filters)
data = render_brief(brief, "docx")   # bytes; FORMATS says each format's media type and suffix
"""

from __future__ import annotations

from icc_assistant.brief.build import build_brief
from icc_assistant.brief.formats import FORMATS, BriefFormat, file_name, render_brief
from icc_assistant.brief.model import Brief

__all__ = ["FORMATS", "Brief", "BriefFormat", "build_brief", "file_name", "render_brief"]
