"""Text that a file or a learner supplied, made safe to put into Streamlit markdown.

A model's file name and metadata, a CSV's cells and messages that quote them are someone
else's words: shown through ``st.markdown`` / ``st.caption`` / ``st.error`` as they are, a name
like ``![x](http://host/ping)`` would make every visitor's browser fetch that URL, and ``[link](...)``
would show a link that is not ours. ``as_text`` backslash-escapes every ASCII punctuation mark
(CommonMark lets any of them be escaped, and Streamlit's own ``:red[...]``/``:material/...:``
directives and ``$...$`` maths start with one too), so the text reads exactly as written and
nothing in it becomes a link, an image, emphasis, a heading or a directive.

Escapes don't stop GitHub-style autolinks: Streamlit's markdown finds ``http://``, ``www.`` and
``name@host`` in the text *after* parsing and makes links of them. An invisible word joiner
(U+2060) inside each of those sequences keeps them plain text and reads the same.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_AUTOLINK_STARTS = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?<=@)")
WORD_JOINER = "\u2060"


def as_text(value: object) -> str:
    """``value`` as literal text inside markdown: one line, every punctuation mark escaped."""
    one_line = _LINE_BREAKS_AND_CONTROLS.sub(" ", str(value))
    unlinked = _AUTOLINK_STARTS.sub(WORD_JOINER, one_line)
    return _PUNCTUATION.sub(r"\\\1", unlinked)
