import streamlit as st

from app import exercise_view
from app.figures import error_histogram, legend_inside, pr_figure, roc_figure
from app.state import current_model, model_badge, require_split, use_app_navigation
from app.threshold_view import (SLIDER_KEY, follow_model, histogram_x_max, model_curves, operating_point,
                                per_class_table, reset_threshold, set_threshold, slider_range)

use_app_navigation()

NO_TOOLBAR = {"displayModeBar": False}

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
slider_column, best_column, reset_column = st.columns([5, 1.6, 0.8], vertical_alignment="bottom")
threshold = slider_column.slider("Threshold: a beat whose reconstruction error is above it is flagged abnormal",
                                 bounds.low, bounds.high, step=bounds.step, format=bounds.format, key=SLIDER_KEY)
best_column.button("Best F1 on validation", key="threshold_best_f1", width="stretch",
                   on_click=set_threshold, args=(model.threshold,),
                   help=f"The model's calibrated threshold, {model.threshold:.3f}, chosen on validation")
reset_column.button("Reset", key="threshold_reset", width="stretch", on_click=reset_threshold,
                    help="Back to the model's own threshold")

point = operating_point(curves, threshold)
st.markdown(f"#### {point.trade_off()}")
st.caption("Raise the threshold and you get fewer false alarms but miss more anomalies; lower it and the "
           "reverse.")
exercise_view.threshold_attempt(threshold, point.metrics)

tiles = {"accuracy": ("Accuracy", "Share of all test beats judged right"),
         "precision": ("Precision", "Of the beats flagged abnormal, the share that are abnormal"),
         "recall": ("Recall", "Of the abnormal beats, the share flagged (true-positive rate)"),
         "f1": ("F1", "The harmonic mean of precision and recall"),
         "fpr": ("FPR", "False-positive rate: of the normal beats, the share flagged (false alarms)"),
         "fnr": ("FNR", "False-negative rate: of the abnormal beats, the share missed")}
for column, (key, (label, meaning)) in zip(st.columns(len(tiles)), tiles.items()):
    column.metric(label, f"{point.metrics[key]:.1%}", help=meaning, border=True)

histogram, confusion = st.columns([3, 2])
histogram.markdown("**Reconstruction error of the test beats**")
histogram.plotly_chart(error_histogram(scores, split.test.is_anomaly, threshold,
                                       x_max=histogram_x_max(scores, threshold), title=""),
                       key="threshold_histogram", config=NO_TOOLBAR)
confusion.markdown("**Confusion matrix** (test beats)")
confusion.table(point.confusion_table())
confusion.caption("Top right: false alarms. Bottom left: missed anomalies.")

roc_column, pr_column = st.columns(2)
roc_column.plotly_chart(legend_inside(roc_figure(curves.roc["fpr"], curves.roc["tpr"], curves.roc["auc"],
                                                 point.roc_point)),
                        key="threshold_roc", config=NO_TOOLBAR)
pr_column.plotly_chart(legend_inside(pr_figure(curves.pr["recall"], curves.pr["precision"],
                                               curves.pr["average_precision"], curves.sweep.positives / len(scores),
                                               point.pr_point), "bottom left"),
                       key="threshold_pr", config=NO_TOOLBAR)

st.subheader("Which abnormal beats does it catch?")
st.caption("Share of each class's test beats flagged abnormal at this threshold: recall for the four abnormal "
           "classes, the false-alarm rate for normal beats. Classes with few beats give rough numbers.")
st.dataframe(per_class_table(model, split, threshold), key="threshold_per_class", hide_index=True,
             column_config={"Share flagged": st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                             max_value=1)})
