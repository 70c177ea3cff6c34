"""app/moved_session.py: which new sessions replace a lost one, and what their learner reads.
The whole move, through HAProxy and Chromium, is tests/browser/test_balancer.py."""

from __future__ import annotations

from types import SimpleNamespace

from app_session import ROOT
from streamlit.testing.v1 import AppTest

from app.moved_session import NOTICE_KEY, notice, replaces_lost_session

EARLIER_SESSION = "streamlit, 2|a8f3c1d2|9b1e4f7a|1764536400, 0c5e1a52-7f0b-4a8e-9f5e-3d2b1c0a9e8f"


def test_only_a_reconnect_that_names_an_earlier_session_counts_as_moved():
    assert replaces_lost_session(EARLIER_SESSION)
    assert replaces_lost_session("streamlit,PLACEHOLDER_AUTH_TOKEN,0c5e1a52")
    assert not replaces_lost_session("streamlit, PLACEHOLDER_AUTH_TOKEN")  # a first visit or a reload
    assert not replaces_lost_session("streamlit, PLACEHOLDER_AUTH_TOKEN, ")
    assert not replaces_lost_session(None)  # no WebSocket handshake (AppTest, a bare script run)
    assert not replaces_lost_session("chat, token, 0c5e1a52")


def test_the_notice_says_whether_the_learners_latest_model_came_back():
    gone = notice(None)
    assert gone.startswith("The server you were working on stopped")
    assert "Models you trained there are gone; the default model is in use" in gone and "**Train**" in gone
    restored = notice(SimpleNamespace(label="Your model #3 [x](http://a)"))
    assert "Your latest model, **Your model #3 \\[x\\](http:\u2060//a)**" in restored
    assert "default model" not in restored


def test_the_notice_stays_on_every_page_until_dismissed():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state[NOTICE_KEY] = (notice(None), None)  # as follow() leaves it for a moved session
    at.run()
    at.switch_page("pages/thresholds.py").run()
    assert at.info[0].value.startswith("The server you were working on stopped")
    next(b for b in at.button if b.key == "moved_session_dismiss").click().run()
    assert not any("working on stopped" in str(i.value) for i in at.info)
    assert not at.exception
