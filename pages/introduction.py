import time

import streamlit as st

from app.figures import ABNORMAL_COLOUR, NORMAL_COLOUR, class_label, sparkline_svg
from app.gallery import (ALL_CLASSES, accuracy_comparison, beat_picture, explanation, frame_summary,
                         gallery_sample, is_correct, judge_beat, markdown_table, network_picture, next_epoch,
                         replay_picture, replay_source, score_against_threshold, score_picture, typical_beats)
from app.state import current_model, default_model, model_badge, require_split, use_app_navigation
from app.static_figures import markdown_picture
from app.text import as_text
from core.data import CLASS_NAMES, NORMAL_CLASS

use_app_navigation()

CARD_WIDTH = 140  # pixels: six cards to a row on a laptop screen
REPLAY_STEP_SECONDS = 0.3

test = require_split().test
model = current_model()

st.title("Spotting abnormal heartbeats with an autoencoder")
model_badge()
st.warning("**Demonstration only, not for clinical use.** This is a teaching tool built on a public "
           "research dataset (ECG5000). It is not a medical device; never use it to judge anyone's heart.",
           icon=":material/warning:")

st.header("How it works")

words, picture = st.columns([2, 3], vertical_alignment="center")
words.markdown(
    f"**1. An autoencoder squeezes a beat, then rebuilds it.** Each heartbeat is 140 numbers. The "
    f"*encoder* compresses them into just **{model.spec.bottleneck}** numbers (the bottleneck); the "
    f"*decoder* rebuilds all 140 from those. Trained only on **normal** beats, it learns to rebuild "
    f"normal shapes well, and nothing else.")
picture.markdown(markdown_picture(network_picture(tuple(model.spec.widths)),
                                  f"The network, layer by layer: {' → '.join(map(str, model.spec.widths))} numbers"))

normal_index, abnormal_index = typical_beats(model, test)
normal_beat, abnormal_beat = judge_beat(model, test, normal_index), judge_beat(model, test, abnormal_index)
words, normal_picture, abnormal_picture = st.columns([2, 1.5, 1.5], vertical_alignment="center")
words.markdown(
    "**2. The reconstruction error is the anomaly score.** The score is the mean squared gap between a "
    "beat and its rebuild (shaded). A normal beat comes back close; a shape the model never learned "
    f"comes back badly. Here: a typical normal test beat scores **{normal_beat.score:.3f}**, a typical "
    f"abnormal one **{abnormal_beat.score:.3f}**.")
normal_picture.markdown(f"**Normal** · score {normal_beat.score:.3f}")
normal_picture.markdown(markdown_picture(beat_picture(model, normal_index, normal_beat, size=(3.4, 2.5)),
                                         "A typical normal test beat and its reconstruction"))
abnormal_picture.markdown(f"**{CLASS_NAMES[int(test.y[abnormal_index])]}** · score {abnormal_beat.score:.3f}")
abnormal_picture.markdown(markdown_picture(beat_picture(model, abnormal_index, abnormal_beat, size=(3.4, 2.5)),
                                           "A typical abnormal test beat and its reconstruction"))

words, picture = st.columns([2, 3], vertical_alignment="center")
words.markdown(
    f"**3. A threshold turns scores into verdicts.** Above the threshold: *abnormal*; below: *normal*. "
    f"This model's threshold, **{model.threshold:.3f}**, was chosen on the validation set (best F1). The "
    f"histogram shows the {len(test):,} held-out test beats: where the colours overlap, mistakes happen. "
    f"Move the threshold yourself on the *Thresholds & ROC* page.")
picture.markdown("**Reconstruction error of the test beats**")
picture.markdown(markdown_picture(score_picture(model, test), "Histogram of the test beats' reconstruction "
                                  "errors, normal vs abnormal, and the threshold"))

comparison = accuracy_comparison(model, test)
everything_normal_accuracy = comparison['Say "normal" to every beat']["Accuracy"]
words, picture = st.columns([2, 3], vertical_alignment="center")
words.markdown(
    f"**4. Accuracy alone can fool you.** {everything_normal_accuracy} of the test beats are normal, so a "
    f"\"detector\" that calls *every* beat normal already scores **{everything_normal_accuracy} accuracy** "
    "while catching no anomaly at all. Better questions: of the beats flagged, how many are abnormal "
    "(**precision**)? Of the abnormal beats, how many are caught (**recall**)? **F1** balances the two; "
    "**ROC AUC** says how well the scores rank abnormal above normal at *any* threshold.")
picture.markdown(markdown_table(comparison))

st.header("Try it on test beats")
st.caption("Beats from the held-out test set, which the model never trained on. Pick one to see how the "
           "model in use judges it.")


def select_beat(index: int) -> None:
    st.session_state["gallery_selected"] = index


def shuffle_gallery() -> None:
    st.session_state["gallery_seed"] += 1


@st.fragment
def beat_gallery() -> None:
    st.session_state.setdefault("gallery_seed", 0)
    filter_column, shuffle_column = st.columns([5, 1], vertical_alignment="bottom")
    cls = filter_column.segmented_control(
        "Show", [ALL_CLASSES, *CLASS_NAMES], default=ALL_CLASSES, required=True, key="gallery_class",
        format_func=lambda c: "All classes" if c == ALL_CLASSES else class_label(c))
    shuffle_column.button("Shuffle", key="gallery_shuffle", icon=":material/shuffle:", on_click=shuffle_gallery)

    shown = [int(i) for i in gallery_sample(test, cls, st.session_state["gallery_seed"])]
    selected = st.session_state.get("gallery_selected")
    if selected not in shown:
        selected = shown[0]
    cards = st.container(horizontal=True)
    for position, index in enumerate(shown):
        beat_class = int(test.y[index])
        colour = NORMAL_COLOUR if beat_class == NORMAL_CLASS else ABNORMAL_COLOUR
        card = cards.container(border=True, width=CARD_WIDTH)
        card.markdown(f"{markdown_picture(sparkline_svg(test.x[index], colour), f'Trace of beat #{index}')}\n\n"
                      f":small[:gray[#{index} · {CLASS_NAMES[beat_class]}]]")
        card.button("Inspecting" if index == selected else "Inspect", key=f"gallery_inspect_{position}",
                    type="primary" if index == selected else "secondary", width="stretch",
                    on_click=select_beat, args=(index,))

    judged = judge_beat(model, test, selected)
    chart, verdict = st.columns([3, 2], vertical_alignment="center")
    chart.markdown(f"**Beat #{selected}**: input vs reconstruction")
    chart.markdown(markdown_picture(beat_picture(model, selected, judged), f"Beat #{selected} and its reconstruction"))
    verdict.subheader(f"Verdict: {judged.verdict}", anchor=False)
    verdict.markdown(score_against_threshold(judged))
    true_class = int(test.y[selected])
    (verdict.success if is_correct(judged, true_class) else verdict.error)(explanation(judged, true_class))
    verdict.caption(f"Score above the threshold means abnormal. The threshold is the one of the model in "
                    f"use ({as_text(model.label)}), chosen on the validation set.")


beat_gallery()

st.header("Watch the classes separate while it trains")


def toggle_replay(first_epoch: int, last_epoch: int) -> None:
    playing = not st.session_state.get("replay_playing", False)
    st.session_state["replay_playing"] = playing
    if playing and st.session_state["replay_epoch"] == last_epoch:
        st.session_state["replay_epoch"] = first_epoch


@st.fragment
def training_replay() -> None:
    source = replay_source(model, default_model())
    frames = {frame.epoch: frame for frame in source.replay}
    epochs = list(frames)
    if st.session_state.get("replay_epoch") not in frames:
        st.session_state["replay_epoch"] = epochs[0]
    if "replay_next_epoch" in st.session_state:
        st.session_state["replay_epoch"] = st.session_state.pop("replay_next_epoch")

    st.caption(f"Recorded while training **{as_text(source.label)}**"
               f"{'' if source is model else ' (the model in use recorded no replay)'}: the test beats' "
               "reconstruction errors after each epoch. Errors shrink, and the abnormal beats pull away.")
    slider_column, play_column = st.columns([6, 1], vertical_alignment="bottom")
    epoch = slider_column.select_slider("Epoch", epochs, key="replay_epoch")
    playing = st.session_state.get("replay_playing", False)
    play_column.button("Pause" if playing else "Play", key="replay_play", width="stretch",
                       icon=":material/pause:" if playing else ":material/play_arrow:",
                       on_click=toggle_replay, args=(epochs[0], epochs[-1]))
    chart, numbers = st.columns([3, 1], vertical_alignment="center")
    chart.markdown(f"**Reconstruction error of the test beats after epoch {epoch}**")
    chart.markdown(markdown_picture(replay_picture(source, test, epoch),
                                    f"Histogram of the test beats' reconstruction errors after epoch {epoch}"))
    summary = frame_summary(frames[epoch], test)
    numbers.markdown(f"After epoch {epoch}:\n\n- test AUC **{summary.auc:.3f}**\n"
                     f"- median error, normal **{summary.normal_median:.3f}**\n"
                     f"- median error, abnormal **{summary.abnormal_median:.3f}**")
    if playing:
        time.sleep(REPLAY_STEP_SECONDS)
        following = next_epoch(epochs, epoch)
        if following is None:
            st.session_state["replay_playing"] = False
        else:
            st.session_state["replay_next_epoch"] = following
        st.rerun(scope="fragment")


training_replay()
