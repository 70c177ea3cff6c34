"""``app.text.as_text``: what a file or a learner supplied reads as written inside markdown."""

import pytest

from app.text import WORD_JOINER, as_text


def test_links_images_emphasis_code_html_maths_and_directives_are_escaped():
    assert as_text("![x](p) [a](b) **c** _d_ `e` <i> $h$ :red[g] ~s~ |t|") == (
        r"\!\[x\](p) \[a\](b) \*\*c\*\* \_d\_ \`e\` \<i\> \$h\$ :red\[g\] \~s\~ \|t\|")


@pytest.mark.parametrize("text, shown", [("# title", r"\# title"), ("- item", r"\- item"), ("> quote", r"\> quote"),
                                         ("12. item", r"12\. item"), ("a\n# b\r\n- c", "a # b - c")])
def test_nothing_starts_a_heading_list_or_quote_and_lines_are_joined(text, shown):
    assert as_text(text) == shown


def test_urls_and_addresses_cannot_become_autolinks():
    text = as_text("http://127.0.0.1:9/ping www.example.com a@b.co")
    assert text == f"http:{WORD_JOINER}//127.0.0.1:9/ping www{WORD_JOINER}.example.com a@{WORD_JOINER}b.co"


def test_ordinary_names_and_numbers_read_the_same():
    for text in ("Your model #2", "beats-v2 (final).safetensors", "layers 32-8 (9,684 parameters) · lr 0.01", 0.5):
        assert as_text(text) == str(text)


def test_chart_text_shows_tags_as_written():
    from app.text import as_chart_text

    assert as_chart_text('<a href="http://x/">y</a>\n<b>') == "&lt;a href=&quot;http://x/&quot;&gt;y&lt;/a&gt; &lt;b&gt;"
