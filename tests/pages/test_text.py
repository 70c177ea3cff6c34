"""``app.text.as_text``: what a file or a learner supplied reads as written inside markdown."""

from app.text import WORD_JOINER, as_text


def test_every_markdown_mark_is_escaped_and_lines_are_joined():
    assert as_text("![x](p) [a](b) **c** _d_ `e` # f :red[g] $h$ <i>\nj") == (
        r"\!\[x\]\(p\) \[a\]\(b\) \*\*c\*\* \_d\_ \`e\` \# f \:red\[g\] \$h\$ \<i\> j")


def test_urls_and_addresses_cannot_become_autolinks():
    text = as_text("http://127.0.0.1:9/ping www.example.com a@b.co")
    assert f"http\\:{WORD_JOINER}\\/\\/127" in text
    assert f"www{WORD_JOINER}\\.example" in text
    assert f"a\\@{WORD_JOINER}b" in text


def test_plain_words_and_numbers_read_the_same():
    assert as_text("Your model 2") == "Your model 2"
    assert as_text(0.5) == r"0\.5"
