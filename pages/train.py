from functools import partial

import streamlit as st

from app import composer, learner_work, live_charts, metric_tiles, room_session
from app.model_warnings import show_model_warnings
from app.state import current_model, default_model, model_badge, require_split, use_app_navigation
from app.text import as_text
from core.model import ACTIVATIONS, MAX_LAYERS, MAX_UNITS
from classroom.recipe import MAX_ABNORMAL_PERCENT, MAX_SEED, MAX_TRAIN_SIZE
from core.train import MAX_EPOCHS, OPTIMIZERS, REGULARIZERS

use_app_navigation()

split = require_split()
composer.restore_controls()

st.title("Train a model")
st.markdown("Compose an autoencoder, train it on heartbeats and watch the reconstruction errors of normal "
            "and abnormal beats pull apart. The model you train becomes the model of every page.")
model_badge()

st.subheader("1 · Compose the encoder")
st.caption("Units per encoder layer; the last layer is the bottleneck. The decoder mirrors the encoder.")
for row in composer.layer_rows():
    for column, layer in zip(st.columns(composer.LAYERS_PER_ROW), row):
        column.number_input(composer.layer_label(layer), min_value=1, max_value=MAX_UNITS, step=1,
                            **composer.control("layers", key=composer.unit_key(layer)))
with st.container(horizontal=True):
    st.button("Add a layer", icon=":material/add:", key="composer_add_layer", on_click=composer.add_layer,
              disabled=composer.layer_count() >= MAX_LAYERS or composer.locked("layers"))
    st.button("Remove the bottleneck", icon=":material/remove:", key="composer_remove_layer",
              on_click=composer.remove_layer, disabled=composer.layer_count() <= 1 or composer.locked("layers"))
    st.button("Default layers", icon=":material/restart_alt:", key="composer_reset_layers",
              on_click=composer.reset_layers, disabled=composer.locked("layers"))
try:
    spec = composer.read_spec()
except ValueError as exc:
    st.error(f"This network can't be built: {as_text(exc)}")
else:
    st.plotly_chart(composer.network_diagram(spec), config={"displayModeBar": False})
    st.caption(f"Each dense layer has (inputs + 1 bias) × outputs parameters: "
               f"{composer.parameter_sum(spec)}.")

st.subheader("2 · Choose how to train")
how, shape, data = st.columns(3)
with how:
    st.selectbox("Optimizer", OPTIMIZERS, format_func=composer.OPTIMIZER_NAMES.get, **composer.control("optimizer"))
    st.select_slider("Learning rate", composer.LEARNING_RATES, format_func="{:g}".format,
                     **composer.control("learning_rate"))
    st.select_slider("Batch size", composer.BATCH_SIZES, **composer.control("batch_size"))
    st.number_input("Epochs", min_value=1, max_value=MAX_EPOCHS, step=10, **composer.control("epochs"))
with shape:
    st.selectbox("Hidden activation", ACTIVATIONS, **composer.control("activation"))
    st.selectbox("Regularizer", REGULARIZERS, **composer.control("regularizer"))
    st.select_slider("Regularization rate", composer.REGULARIZATION_RATES, format_func="{:g}".format,
                     **composer.control("regularization_rate",
                                        disabled=st.session_state["composer_regularizer"] == "none"))
    st.number_input("Seed", min_value=0, max_value=MAX_SEED, step=1, **composer.control("seed"))
with data:
    st.number_input("Training-set size (beats)", min_value=1, max_value=MAX_TRAIN_SIZE, step=100,
                    placeholder="empty: all the pool allows", **composer.control("train_size"))
    st.slider("Abnormal beats in the training set (%)", 0, MAX_ABNORMAL_PERCENT,
              **composer.control("abnormal_percent"))
    with st.popover("Copy link", icon=":material/link:"):
        st.caption("This link opens the composer with exactly these settings (your model stays yours):")
        st.code(learner_work.share_url(), language=None, wrap_lines=True)
    if room_session.locks():
        st.caption("Greyed-out settings are locked by your instructor for this room.")
composer.remember_controls()
try:
    recipe = composer.read_recipe(split.train)
except ValueError as exc:
    recipe = None
    st.error(f"This can't be trained: {as_text(exc)}")
else:
    data.info(recipe.describe(split.train))
    if recipe.one_batch_per_epoch:
        st.info(f"The batch size ({recipe.config.batch_size:,}) is at least the training set "
                f"({recipe.train_size:,} beats): every epoch is a single batch, one weight update.")

st.subheader("3 · Train")
live_charts.show(split, can_train=recipe is not None)

st.subheader("4 · The model in use on the test set")
model, baseline = current_model(), default_model()
st.caption(f"**{as_text(model.label)}**, threshold {model.threshold:.4f} ({model.evaluation.threshold_rule}). "
           "The test beats were never seen in training or in choosing the threshold. "
           + ("The small numbers are the changes against the default model (pp: percentage points), green where "
              "the change is better for that metric, red where it is worse." if model.id != baseline.id else ""))
with st.container(horizontal=True):
    for tile in metric_tiles.model_tiles(model, baseline):
        st.metric(**tile)
if note := metric_tiles.flagging_note(model.evaluation.test_confusion):
    st.warning(f"At this model's threshold: {note}", icon=":material/warning:")
show_model_warnings(model, split)

st.subheader("5 · Save or load a model")
save, load = st.columns(2)
save.download_button("Download the model in use", icon=":material/download:", key="composer_download",
                     data=partial(composer.model_file, model), file_name=composer.model_file_name(model),
                     mime="application/octet-stream", on_click="ignore")
save.caption("One .safetensors file: weights, recipe, threshold, history and test numbers.")
with load:
    st.file_uploader("Load a model file saved by this app", key=composer.UPLOAD_KEY,
                     on_change=composer.load_upload, args=(split,), max_upload_size=composer.MAX_MODEL_MB)
    composer.show_notice(composer.UPLOAD_NOTICE_KEY)
