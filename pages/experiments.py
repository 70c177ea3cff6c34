import streamlit as st

from app import experiments_view as lab
from app.experiments_figures import (contamination_figure, curves_figure, latent_figure, roc_overlay,
                                     spread_figure, threshold_band_figure)
from app.figures import beat_figure, class_label
from app.model_warnings import class_recall_table, show_model_warnings
from app.state import current_model, model_badge, require_split, use_app_navigation
from core import sweeps

use_app_navigation()

split = require_split()
model = current_model()
recipe = lab.lab_recipe(model)

st.title("Insight lab")
model_badge()
st.markdown("The report behind Anomagram makes claims about autoencoders on ECG5000. Check each one here in "
            "one click, over several seeds, with the spread shown, next to classical detectors. Experiments "
            f"train **{recipe.name}** ({recipe.describe()}): train another model on the Train page to change it.")
show_model_warnings(model, split)

(contamination, depth, optimizers, band, classical, inside) = st.tabs(
    ["Contamination", "Depth", "Optimizers", "Threshold band", "Baselines", "Latent space"])

with contamination:
    st.markdown("**Claim:** the autoencoder stays robust when some training beats are abnormal (AUC about 96 / "
                "93 / 56 % at 0 / 30 / 50 % abnormal). The run trains your recipe and Anomagram's small one "
                "(7-3-2, batch 512, 30 epochs, 500 beats) at 0-70 % abnormal, and fits the mean-beat template "
                "on the same training sets.")
    if done := lab.controls("contamination", recipe):
        st.plotly_chart(contamination_figure(sweeps.spread(done["rows"], "abnormal_pct"), sweeps.REPORT_CONTAMINATION),
                        key="lab_contamination_chart")
        for sentence in sweeps.contamination_sentences(done["rows"]):
            st.markdown(sentence)
        with st.expander(f"Every run ({len(done['rows'])}, {done['seconds']:.0f} s)"):
            st.dataframe(lab.runs_table(done["rows"], ["recipe", "abnormal_pct", "seed", "test_auc", "val_auc",
                                                       "train_seconds"]))

with depth:
    st.markdown("**Claim:** deeper networks learn better. The run trains 1 to 8 encoder layers (your first width "
                "repeated, then your bottleneck), everything else as in your recipe.")
    if done := lab.controls("depth", recipe):
        left, right = st.columns(2)
        left.plotly_chart(spread_figure(sweeps.spread(done["rows"], "layers"), "layers", title="Test AUC by depth",
                                        xaxis="encoder layers"), key="lab_depth_auc")
        right.plotly_chart(spread_figure(sweeps.spread(done["rows"], "layers", "train_seconds"), "layers",
                                         title="Training time by depth", xaxis="encoder layers",
                                         yaxis="seconds"), key="lab_depth_seconds")
        st.markdown(sweeps.depth_sentence(done["rows"]))

with optimizers:
    st.markdown("**Claim:** the optimizer matters. The run trains your recipe with each of six optimizers, at "
                f"your learning rate ({recipe.config.learning_rate:g}) and at a rate that suits each one, and "
                "scores the validation beats after every epoch.")
    if done := lab.controls("optimizers", recipe):
        curves = sweeps.optimizer_curves(done["rows"], recipe.config.learning_rate)
        st.plotly_chart(curves_figure(curves["common"], f"All at learning rate {recipe.config.learning_rate:g}"),
                        key="lab_optimizers_common")
        st.plotly_chart(curves_figure(curves["tuned"], "Each at its own learning rate"), key="lab_optimizers_tuned")
        st.markdown(sweeps.optimizer_sentence(curves, recipe.config.learning_rate))

with band:
    st.markdown("**Claim:** the threshold is a trade-off, yet accuracy is forgiving. Computed from the model in "
                "use's test scores, no training needed.")
    result = lab.threshold_band(model.id, model, split)
    st.plotly_chart(threshold_band_figure(result, model.threshold), key="lab_band_chart")
    st.markdown(sweeps.threshold_sentence(result))

with classical:
    st.markdown("Classical detectors fitted on the same training beats as the model in use, each threshold "
                "chosen the same way (best F1 on the validation beats), scored on the same test beats.")
    if st.toggle("Fit and compare the baselines", key="lab_baselines"):
        composition = model.composition
        rows = [lab.autoencoder_result(model.id, model, split),
                *lab.baseline_results(composition.size, composition.abnormal_fraction, composition.seed, split)]
        st.dataframe(lab.baselines_table(rows), column_config={
            "test_auc": st.column_config.NumberColumn("test AUC", format="%.4f"),
            **{name: st.column_config.NumberColumn(name, format="%.3f") for name in ("f1", "precision", "recall")},
            "note": st.column_config.TextColumn("how it was tuned", width="medium"),
            "fit_seconds": st.column_config.NumberColumn("fit s", format="%.3f"),
            "inference_seconds": st.column_config.NumberColumn("test scoring s", format="%.4f"),
            "size": st.column_config.NumberColumn("numbers kept", format="%d")})
        st.plotly_chart(roc_overlay(rows), key="lab_roc_overlay")

with inside:
    view = lab.latent_space(model.id, model, split)
    st.markdown(f"Every test beat's bottleneck code ({view.codes.shape[1]} units"
                f"{', shown by its two main directions' if view.codes.shape[1] > 2 else ''}). "
                "Click a point to see that beat and its reconstruction.")
    chart, beat = st.columns([3, 2])
    event = chart.plotly_chart(latent_figure(view.xy, split.test.y, view.axes), key="lab_latent",
                               on_select="rerun", selection_mode="points")
    index = lab.selected_beat(event)
    if index is None:
        beat.info("No beat selected yet: click a point of the scatter.")
    else:
        x = split.test.x[index]
        score = float(model.evaluation.test_scores[index])
        beat.markdown(f"**Test beat #{index}** · class {class_label(int(split.test.y[index]))} · anomaly score "
                      f"{score:.3f} ({'above' if score > model.threshold else 'below'} the threshold "
                      f"{model.threshold:.3f})")
        beat.plotly_chart(beat_figure(x, lab.reconstruction(model, x)), key="lab_latent_beat")
    with st.expander("Per-class recall on the test beats"):
        st.dataframe(class_recall_table(model.id, model, split))
