import pytest

PAGES = ["pages/introduction.py", "pages/train.py", "pages/thresholds.py", "pages/draw.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_default_model(open_page, page):
    at = open_page(page)
    assert "Default model" in " ".join(c.value for c in at.caption)
