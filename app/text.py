"""Text that a file or a learner supplied, made safe to put into Streamlit markdown.

A model's file name and metadata, a CSV's cells and messages that quote them are someone
else's words: shown through ``st.markdown`` / ``st.caption`` / ``st.error`` as they are, a name
like ``![x](http://host/ping)`` would make every visitor's browser fetch that URL, and ``[link](...)``
would show a link that is not ours. ``as_text`` backslash-escapes every character that opens a
markdown construct inside a line (links, images, emphasis, code, HTML, maths, tables, Streamlit's
``:red[...]`` directives) and, at the start, the ones that make a heading, list or quote, so the
text reads exactly as written and nothing in it becomes markup. Ordinary names ("Your model #2",
"beats-v2.safetensors") come through unchanged.

Charts are the other place text is read as markup: plotly draws ``<a href=...>``, ``<b>`` and
``<br>`` in titles, legends and hover labels. ``as_chart_text`` escapes them for a chart.

Escapes don't stop GitHub-style autolinks: Streamlit's markdown finds ``http://``, ``www.`` and
``name@host`` in the text *after* parsing and makes links of them. An invisible word joiner
(U+2060) inside each of those sequences keeps them plain text and reads the same.
"""

from __future__ import annotations

import html
import re

_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>~$|!])")
_BLOCK_START = re.compile(r"^(\s*)([#+=>-]|\d+(?=[.)](?:\s|$)))")
_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_AUTOLINK_STARTS = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)")
WORD_JOINER = "\u2060"


def as_text(value: object) -> str:
    """``value`` as literal text inside markdown, on one line."""
    one_line = _LINE_BREAKS_AND_CONTROLS.sub(" ", str(value))
    unlinked = _AUTOLINK_STARTS.sub(WORD_JOINER, one_line)
    escaped = _INLINE_MARKUP.sub(r"\\\1", unlinked)
    return _BLOCK_START.sub(lambda m: m.group(1) + _escape_block_start(m.group(2)), escaped, count=1)


def _escape_block_start(mark: str) -> str:
    """``#`` -> ``\\#``; a list number ``12`` (before ``.`` or ``)``) -> ``12\\`` so the dot stays text."""
    return mark + "\\" if mark[0].isdigit() else "\\" + mark


def as_chart_text(value: object) -> str:
    """``value`` as literal text in a plotly title, legend entry or hover label, on one line."""
    return html.escape(_LINE_BREAKS_AND_CONTROLS.sub(" ", str(value)))
