"""The Draw page's "Fool the model" section (AppTest; drawings injected as in test_draw_page)."""

import numpy as np
import pytest

from app import attack_view
from app.drawing_view import CARRIED_KEY, GEOMETRY, VERSION_KEY
from core.drawing import initial_drawing
from test_draw_page import DRAW, draw, typical


@pytest.fixture
def page(open_page):
    return open_page(DRAW)


def test_a_drawn_normal_beat_is_flipped_and_the_changed_beat_loads_into_the_canvas(page):
    draw(page, initial_drawing([typical(1)], GEOMETRY))
    assert page.success[0].value.startswith("### Normal")
    page.button(key="attack_search").click().run()
    assert not page.exception
    message = next(s.value for s in page.success if "of the beat's size" in s.value)
    assert "turns the verdict from **normal** into **abnormal**" in message
    assert page.get_by_key("attack_flip_chart") and page.get_by_key("attack_search_chart")
    version = page.session_state[VERSION_KEY]
    page.button(key="attack_load").click().run()
    assert page.session_state[VERSION_KEY] == version + 1
    values, caption = page.session_state[attack_view.LOADED_KEY]
    np.testing.assert_array_equal(page.session_state[CARRIED_KEY], values)  # what the fresh canvas is given
    assert caption.startswith("Loaded the changed beat") and any(caption in c.value for c in page.caption)
    draw(page, initial_drawing([values], GEOMETRY))  # what the remounted canvas sends back
    assert page.error[0].value.startswith("### Abnormal")  # the changed beat keeps its flipped verdict


def test_a_flat_line_cannot_be_searched(page):
    page.button(key="draw_preset_flat").click().run()
    draw(page, initial_drawing([np.zeros(140)], GEOMETRY))
    assert page.button(key="attack_search").disabled
