"""The Draw page's "Score your own beats": a CSV upload judged row by row (issue 8; issue 9 rows 3 and 7)."""

import json

import numpy as np
import pandas as pd
import pytest
from test_draw_page import DRAW, GEOMETRY, draw, messages, typical

from app import attack_view
from app.drawing_view import MAX_UPLOAD_BYTES, VERSION_KEY, results_csv
from app.state import MODEL_KEY, default_model
from core.data import zscore
from core.drawing import initial_drawing


@pytest.fixture
def page(open_page):
    return open_page(DRAW)


def upload(at, content: bytes, name="beats.csv"):
    at.file_uploader(key="draw_upload").set_value((name, content, "text/csv"))
    return at.run()


def csv_row(values, sep=",") -> str:
    return sep.join(f"{v:.5f}" for v in values)


def table(at):
    """Every row of the file, as the download holds it: the judged rows' table, then the skipped rows'."""
    judged = at.dataframe[0].value
    skipped = next((t.value for t in at.table if list(t.value.columns) == ["why"]), None)
    if skipped is None:
        return judged
    assert list(skipped.columns) == ["why"]
    return pd.concat([judged, skipped.assign(verdict="skipped")]).sort_index()


def chart_title(at) -> str:
    chart = next(c for c in at.get("plotly_chart") if "draw_upload_chart" in c.proto.id)
    return json.loads(chart.proto.spec)["layout"]["title"]["text"]


def test_an_uploaded_csv_is_scored_row_by_row(page):
    half_length_pvc = np.interp(np.linspace(0, 139, 70), np.arange(140), typical(3))
    lines = ["# my beats", csv_row(typical(1)), "", csv_row(half_length_pvc), "1, 2, oops", ";".join(["3"] * 30),
             "1,2", "1,2,3"]
    upload(page, "\n".join(lines).encode())
    assert not page.exception and not page.warning
    shown = table(page)
    assert list(shown.index) == [2, 4, 5, 6, 7, 8]
    assert list(shown["verdict"]) == ["normal", "abnormal", "skipped", "abnormal", "skipped", "skipped"]
    assert list(shown["why"]) == [
        "score at or below the threshold", "score above the threshold", "value 3 ('oops') is not a number",
        "a flat line: no variation, so no heartbeat in it", "a beat needs at least 20 values, got 2",
        "a beat needs at least 20 values, got 3"]
    assert shown.loc[2, "score"] == pytest.approx(float(default_model().detector.decision_function(typical(1))[0]),
                                                  rel=1e-4)
    assert any("3 beats scored: 1 normal, 2 abnormal. 3 rows skipped (see *why*)." in c.value for c in page.caption)


def test_any_row_can_be_plotted_with_its_reconstruction_and_the_results_downloaded(page):
    upload(page, f"{csv_row(typical(1))}\n1,x\n{csv_row(typical(3))}\n".encode())
    row_picker = page.selectbox(key="draw_upload_row")
    assert row_picker.options == ["row 1: normal", "row 3: abnormal"]
    assert chart_title(page) == "Row 1: normal"
    row_picker.set_value(3).run()
    assert chart_title(page) == "Row 3: abnormal"
    download = page.get("download_button")[0]
    assert download.label == "Download the results (CSV)"
    assert results_csv(table(page)).decode().splitlines()[0] == "row,score,verdict,why"
    assert results_csv(table(page)).decode().splitlines()[2] == "2,,skipped,value 2 ('x') is not a number"


def test_the_picked_row_loads_onto_the_canvas(page):
    upload(page, f"{csv_row(typical(1))}\n1,x\n{csv_row(typical(3))}\n".encode(), name="mine.csv")
    page.selectbox(key="draw_upload_row").set_value(3).run()
    version = page.session_state[VERSION_KEY]
    page.button(key="attack_upload_load").click().run()
    assert not page.exception and page.session_state[VERSION_KEY] == version + 1
    values, caption = page.session_state[attack_view.LOADED_KEY]
    assert caption == "Loaded row 3 of mine.csv."
    np.testing.assert_allclose(values, zscore(typical(3)), atol=1e-4)


def test_a_labelled_file_is_compared_with_its_labels(page):
    page.checkbox(key="draw_upload_has_label").check().run()
    normal, pvc = csv_row(typical(1)), csv_row(typical(3))
    upload(page, f"1,{normal}\n3,{pvc}\n1,{pvc}\n2,{normal}\n3,{normal}\n".encode())
    assert list(table(page)["verdict"]) == ["normal", "abnormal", "abnormal", "normal", "normal"]
    assert list(table(page)["label"]) == [1, 3, 1, 2, 3]
    confusion = next(t.value for t in page.table if "said normal" in t.value.columns)
    assert confusion.to_dict() == {"said normal": {"label 1 (normal)": 1, "label 2-5 (abnormal)": 2},
                                   "said abnormal": {"label 1 (normal)": 1, "label 2-5 (abnormal)": 1}}
    assert any("right on **2 of 5** beats: accuracy **40.0%**. It flagged 1 normal beat and missed 2 abnormal ones."
               in m.value for m in page.markdown)


def test_ticking_labels_on_a_file_without_them_says_so(page):
    page.checkbox(key="draw_upload_has_label").check().run()
    upload(page, f"{csv_row(typical(1))}\n".encode())
    assert "the first value" in page.warning[0].value and "is not a class label" in page.warning[0].value


def test_a_file_that_looks_labelled_gets_a_hint_when_the_box_is_not_ticked(page):
    upload(page, f"1,{csv_row(typical(1))}\n3,{csv_row(typical(3))}\n".encode())
    assert any("starts with a whole number from 1 to 5" in i.value for i in page.info)


def test_a_byte_order_mark_and_utf16_are_read(page):
    text = f"{csv_row(typical(1))}\n{csv_row(typical(3))}\n"
    for content in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16"), text.encode("utf-16-le")):
        upload(page, content)
        assert list(table(page)["verdict"]) == ["normal", "abnormal"], content[:4]


def test_extreme_values_are_never_normal_without_a_score_and_not_called_flat(page):
    spike = ",".join(["1.7e308"] + ["0"] * 29)
    near_1e155 = csv_row(typical(1).astype(np.float64) * 1e155)
    upload(page, f"{spike}\n{near_1e155}\n".encode())
    shown = table(page)
    assert np.isfinite(shown["score"].astype(float)).all()
    assert shown.loc[1, "verdict"] == "abnormal" and shown.loc[1, "why"] == "score above the threshold"
    assert shown.loc[2, "verdict"] == "normal"  # the same shape as a typical normal beat, just huge


def test_decimal_commas_and_empty_fields_are_refused_row_by_row(page):
    decimal = ";".join(f"{v:.3f}".replace(".", ",") for v in typical(1))
    upload(page, f"{decimal}\n1,,{csv_row(typical(1))}\n{csv_row(typical(1))}\n".encode())
    shown = table(page)
    assert "decimal commas (1,5) can't be read" in shown.loc[1, "why"]
    assert "value 2 is empty (two separators in a row, like 1,,2)" in shown.loc[2, "why"]
    assert shown.loc[3, "verdict"] == "normal"


@pytest.mark.parametrize("content, text", [
    (b"", "The file is empty"),
    (b"  \n\n ", "The file is empty"),
    (bytes(range(256)) * 20, "not UTF-8 or UTF-16 text"),
    (b"1,2\x00,3\n" * 10, "doesn't look like a text file"),
    (b"\xfa\xfb junk", "not UTF-8 or UTF-16 text"),
    (b"name,age\nbob,42\n", "No row of that file could be read"),
    (b"# only a comment\n", "every line is blank or a comment"),
    (b"1" * (MAX_UPLOAD_BYTES + 1), "MB"),
])
def test_a_bad_upload_gives_a_friendly_message_and_nothing_else_breaks(page, content, text):
    draw(page, initial_drawing([typical(1)], GEOMETRY))
    upload(page, content)
    assert not page.exception
    assert text in page.warning[0].value
    assert not page.dataframe
    assert messages(page)["success"][0].startswith("### Normal")
    assert MODEL_KEY not in page.session_state


def test_a_skipped_rows_reason_quoting_markdown_is_shown_as_text(page):
    upload(page, f"{csv_row(typical(1))}\n![x](http://127.0.0.1:9/p),{csv_row(typical(1))}\n".encode())
    skipped = next(t.value for t in page.table if list(t.value.columns) == ["why"])
    assert skipped.loc[2, "why"].startswith("value 1 ('\\!\\[x\\](http:\u2060//")  # no image, no link
