import streamlit as st

from app import exercise_view, metric_tiles
from app.figures import error_histogram, pr_figure, roc_figure
from app.state import current_model, model_badge, require_split, use_app_navigation
from app.threshold_view import (SLIDER_KEY, follow_model, histogram_x_max, model_curves, operating_point,
                                per_class_table, set_threshold, slider_range)

use_app_navigation()

NO_TOOLBAR = {"displayModeBar": False}
THRESHOLD_METRICS = ("accuracy", "precision", "recall", "f1", "fpr", "fnr")  # AUC: see the ROC curve

split = require_split()
model = current_model()
curves = model_curves(model, split)
scores = model.evaluation.test_scores

st.title("Thresholds & ROC")
model_badge()
st.info(f"Every number on this page is measured on the **{len(split.test):,} held-out test beats**, which the "
        "model never saw while training. The *Best F1* threshold was chosen on the separate **validation** "
        "set, so the test labels played no part in it.", icon=":material/lock:")

follow_model(model)
bounds = slider_range(scores, model.threshold)
slider_column, best_column = st.columns([5, 1.6], vertical_alignment="bottom")
# kept for the session: back from another page, the learner finds their threshold, not the slider's low end
threshold = slider_column.slider("Threshold: a beat whose reconstruction error is above it is flagged abnormal",
                                 bounds.low, bounds.high, step=bounds.step, format=bounds.format, key=SLIDER_KEY,
                                 persist_state="session")
best_column.button("Best F1 on validation", key="threshold_best_f1", width="content",
                   on_click=set_threshold, args=(model.threshold,),
                   help=f"Back to the model's own threshold, {model.threshold:.3f}: the best F1 on the "
                        "validation set")

point = operating_point(curves, threshold)
st.markdown(f"#### {point.trade_off()}")
st.caption("Raise the threshold and you get fewer false alarms but miss more anomalies; lower it and the "
           "reverse.")
exercise_view.threshold_attempt(threshold, point.metrics)

with st.container(horizontal=True):
    for tile in metric_tiles.tiles(THRESHOLD_METRICS, point.metrics, point.confusion.to_dict()):
        st.metric(**tile)
if note := metric_tiles.flagging_note(point.confusion.to_dict()):
    st.warning(note, icon=":material/warning:")

histogram, confusion = st.columns([3, 2])
histogram.markdown("**Reconstruction error of the test beats**")
histogram.plotly_chart(error_histogram(scores, split.test.is_anomaly, threshold,
                                       x_max=histogram_x_max(scores, threshold), title=""),
                       key="threshold_histogram", config=NO_TOOLBAR)
confusion.markdown("**Confusion matrix** (test beats)")
confusion.table(point.confusion_table())
confusion.caption("Top right: false alarms. Bottom left: missed anomalies.")

roc_column, pr_column = st.columns(2)
roc_column.plotly_chart(roc_figure(curves.roc["fpr"], curves.roc["tpr"], curves.roc["auc"], point.roc_point,
                                   legend="bottom right"),
                        key="threshold_roc", config=NO_TOOLBAR)
pr_column.plotly_chart(pr_figure(curves.pr["recall"], curves.pr["precision"], curves.pr["average_precision"],
                                 curves.sweep.positives / len(scores), point.pr_point, legend="bottom left"),
                       key="threshold_pr", config=NO_TOOLBAR)

st.subheader("Which abnormal beats does it catch?")
st.caption("Share of each class's test beats flagged abnormal at this threshold: recall for the four abnormal "
           "classes, the false-alarm rate for normal beats. Classes with few beats give rough numbers.")
st.dataframe(per_class_table(model, split, threshold), key="threshold_per_class", hide_index=True,
             column_config={"Share flagged": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                             max_value=1)})
