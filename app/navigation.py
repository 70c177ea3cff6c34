"""The app's pages, and which of them this session sees (a room's instructor can hide pages)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app import room_session


@dataclass(frozen=True)
class PageInfo:
    file: str
    title: str
    icon: str
    path: str  # the URL path, also the page's id in a room's hidden pages


PAGES = (
    PageInfo("pages/introduction.py", "Introduction", ":material/menu_book:", "introduction"),
    PageInfo("pages/train.py", "Train a model", ":material/model_training:", "train"),
    PageInfo("pages/thresholds.py", "Thresholds & ROC", ":material/tune:", "thresholds"),
    PageInfo("pages/draw.py", "Draw a beat", ":material/draw:", "draw"),
    PageInfo("pages/experiments.py", "Insight lab", ":material/science:", "experiments"),
    PageInfo("pages/board.py", "Class board", ":material/leaderboard:", "board"),
    PageInfo("pages/classroom.py", "Classroom", ":material/groups:", "classroom"),
)
ALWAYS_SHOWN = "classroom"  # a learner can always get back to the room
HIDEABLE = tuple(page for page in PAGES if page.path != ALWAYS_SHOWN)


def session_pages() -> list:
    """``st.Page``s for this session: all of them, less the ones its room hides from learners."""
    hidden = room_session.hidden_pages() - {ALWAYS_SHOWN}
    shown = [page for page in PAGES if page.path not in hidden]
    return [st.Page(page.file, title=page.title, icon=page.icon, url_path=page.path, default=n == 0)
            for n, page in enumerate(shown)]
