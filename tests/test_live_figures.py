"""The train page's live charts: a spec that stays the same from poll to poll of a run (so the
browser only swaps the data), and the numbers and legend colours carried by the data rows."""

import json

import numpy as np
import pytest

from app.figures import ABNORMAL_COLOUR, INPUT_COLOUR, NORMAL_COLOUR, RECON_COLOUR, THRESHOLD_COLOUR
from app.live_figures import LOSS_POINTS, error_chart, loss_chart, roc_chart
from core.metrics import error_counts


def colour_of(chart) -> dict[str, str]:
    """Each legend label's colour as Vega draws it: the colour range in sorted order of the labels."""
    labels = sorted(chart.data["series"].unique())
    return dict(zip(labels, chart.spec["encoding"]["color"]["scale"]["range"]))


def test_the_loss_chart_keeps_its_spec_as_the_run_goes_on():
    early = loss_chart([1, 2, 3], [0.5, 0.3, 0.2], [0.6, 0.4, 0.3], total_epochs=100)
    late = loss_chart(list(range(1, 61)), list(np.geomspace(0.5, 0.02, 60)), list(np.geomspace(0.6, 0.03, 60)),
                      total_epochs=100)
    assert json.dumps(early.spec) == json.dumps(late.spec)
    assert len(early.data) == 6 and len(late.data) == 120
    assert colour_of(late) == {"train loss": INPUT_COLOUR, "validation loss": RECON_COLOUR}
    assert late.spec["encoding"]["x"]["scale"]["domain"] == [0, 100]


def test_a_long_run_draws_every_kth_epoch_and_its_last_one():
    epochs = list(range(1, 2001))
    chart = loss_chart(epochs, [1 / e for e in epochs], [2 / e for e in epochs], total_epochs=2000)
    train = chart.data[chart.data["series"] == "train loss"]
    assert LOSS_POINTS / 2 <= len(train) <= LOSS_POINTS + 1
    assert train["epoch"].iloc[0] == 1 and train["epoch"].iloc[-1] == 2000
    assert set(np.diff(train["epoch"].to_numpy()[:-1])) == {7}  # ceil(2000 / 300)
    assert train["loss"].iloc[-1] == pytest.approx(1 / 2000)
    short = loss_chart(epochs[:LOSS_POINTS], [1.0] * LOSS_POINTS, [1.0] * LOSS_POINTS, total_epochs=2000)
    assert len(short.data) == 2 * LOSS_POINTS  # every epoch while they fit


def test_the_loss_chart_leaves_out_what_a_log_axis_cannot_show():
    chart = loss_chart([1, 2, 3], [0.5, 0.0, 0.2], [None, None, None], total_epochs=3)
    assert chart.data["loss"].tolist() == [0.5, 0.2]


def test_the_error_chart_carries_the_threshold_and_counts_as_data():
    scores = np.r_[np.linspace(0.01, 0.2, 90), np.linspace(0.3, 1.0, 10)]
    is_anomaly = np.r_[np.zeros(90, bool), np.ones(10, bool)]
    edges, normal, abnormal = error_counts(scores, is_anomaly, bins=40)
    assert normal.sum() == 90 and abnormal.sum() == 10 and len(edges) == 41
    one, other = error_chart(edges, normal, abnormal, 0.25), error_chart(edges, normal, abnormal, 0.125)
    later = error_chart(*error_counts(scores / 3, is_anomaly, bins=40), 0.1)  # errors fall as the model learns
    assert json.dumps(one.spec) == json.dumps(other.spec) == json.dumps(later.spec)  # a new spec: a new view
    bars = one.data[one.data["kind"] == "bar"]
    assert bars.groupby("series")["beats"].sum().to_dict() == {"abnormal": 10, "normal": 90}
    assert colour_of(one) == {"abnormal": ABNORMAL_COLOUR, "normal": NORMAL_COLOUR,
                              "threshold 0.250": THRESHOLD_COLOUR}
    assert one.data.loc[one.data["kind"] == "threshold", "start"].tolist() == [0.25]
    assert colour_of(error_chart(edges, normal, abnormal, None)) == {"abnormal": ABNORMAL_COLOUR,
                                                                     "normal": NORMAL_COLOUR}


@pytest.mark.parametrize("auc", [0.5, 0.997])
def test_the_roc_chart_names_its_auc_in_the_legend_in_the_curves_colour(auc):
    chart = roc_chart(np.array([0.0, 0.1, 1.0]), np.array([0.0, 0.9, 1.0]), auc, (0.1, 0.9))
    assert json.dumps(chart.spec) == json.dumps(roc_chart(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.5,
                                                          None).spec)
    assert colour_of(chart) == {f"ROC (AUC {auc:.3f})": INPUT_COLOUR, "chance": THRESHOLD_COLOUR,
                                "current threshold": ABNORMAL_COLOUR}
    point = chart.data[chart.data["kind"] == "point"]
    assert point[["fpr", "tpr"]].values.tolist() == [[0.1, 0.9]]
