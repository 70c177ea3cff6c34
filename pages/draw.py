import streamlit as st
from streamlit_drawable_canvas import st_canvas

from app import attack_view, exercise_view
from app.drawing_view import (LABEL_HINT, MAX_UPLOAD_MB, PRESETS, SKIPPED_SHOWN, STROKE_COLOUR, STROKE_WIDTH,
                              UploadError, accuracy_sentence, available_width, background_png, canvas_key,
                              confusion_table, current_preset, explanation, fit_canvas, is_blank, judge_drawing,
                              judged_and_skipped, remount_canvas, results_csv, score_upload, upload_summary,
                              upload_table)
from app.figures import beat_figure
from app.state import current_model, model_badge, require_split, use_app_navigation
from app.text import as_text
from core.drawing import DrawingError

use_app_navigation()

test = require_split().test
model = current_model()

st.title("Draw a heartbeat")
model_badge()
st.markdown("Trace **one heartbeat from left to right**, the way time runs. The model in use rebuilds your "
            "beat and judges it exactly as it judges the test beats. Hover over the canvas for its toolbar: "
            "undo, redo, reset.")

with st.container(horizontal=True, vertical_alignment="center"):
    for name, label in PRESETS.items():
        st.button(label, key=f"draw_preset_{name}", on_click=remount_canvas, args=(name,),
                  help="Load it onto a fresh canvas, to draw over")
    st.button("Clear", key="draw_clear", icon=":material/ink_eraser:", on_click=remount_canvas,
              help="Empty the canvas")
    guide = st.toggle("Show the average normal beat as a guide", value=True, key="draw_guide")

geometry = fit_canvas(available_width())
drawing, preset_caption = current_preset(test, geometry)
preset_caption = preset_caption or attack_view.loaded_caption()
caption = st.empty()
canvas = st_canvas(stroke_width=STROKE_WIDTH, stroke_color=STROKE_COLOUR,
                   background_image=background_png(guide, geometry), width=geometry.width,
                   height=geometry.height, drawing_mode="freedraw", initial_drawing=drawing, key=canvas_key())
if preset_caption:
    caption.caption(preset_caption)
elif is_blank(canvas.json_data):
    caption.caption("A blank canvas: draw a beat, or load one above to start from.")
st.caption("Your drawing is read at 140 evenly spaced points across the whole width. Where it stops short of "
           "an edge, its first or last value is held flat; where strokes overlap, the later one wins. Like "
           "every ECG5000 beat, it is then rescaled to mean 0 and spread 1, so only its shape counts, "
           "not its height on the canvas.")

try:
    verdict = judge_drawing(model, canvas.json_data, geometry)
except DrawingError as problem:
    (st.info if is_blank(canvas.json_data) else st.warning)(str(problem))
else:
    chart, words = st.columns([3, 2], vertical_alignment="center")
    chart.caption("Your beat as the model sees it, and the model's reconstruction; the shaded gap is the error.")
    chart.plotly_chart(beat_figure(verdict.beat, verdict.reconstruction), key="draw_beat_chart",
                       config={"displayModeBar": False})
    (words.error if verdict.abnormal else words.success)(explanation(verdict))
    score, threshold = words.columns(2)
    # A flat line is judged by the flat-line rule, not by its score: a score delta would contradict it.
    score.metric("Anomaly score", f"{verdict.score:.3f}",
                 None if verdict.flat else f"{verdict.score - verdict.threshold:+.3f} vs threshold",
                 delta_color="inverse")
    threshold.metric("Threshold", f"{verdict.threshold:.3f}")
    words.caption(f"Score above the threshold means abnormal. The threshold is the one of the model in use "
                  f"({as_text(model.label)}), chosen on the validation set.")
    exercise_view.drawing_attempt(verdict)

    st.subheader("Fool the model")
    st.caption("Search for the smallest change to this beat that flips the verdict (a gradient search through the "
               "rescaling and the model).")
    st.button("Find the smallest flip", key="attack_search", icon=":material/bolt:", on_click=attack_view.search,
              args=(model, verdict.beat), disabled=verdict.flat, help="A flat line has no shape to change")
    if flip := attack_view.current_flip(model, verdict.beat):
        (st.success if flip.flipped else st.warning)(attack_view.explanation(flip))
        before, search = st.columns(2)
        before.plotly_chart(attack_view.flip_figure(flip), key="attack_flip_chart", config={"displayModeBar": False})
        search.plotly_chart(attack_view.search_figure(flip), key="attack_search_chart", config={"displayModeBar": False})
        st.button("Load the changed beat into the canvas", key="attack_load", icon=":material/edit:",
                  on_click=attack_view.load_into_canvas, disabled=not flip.flipped,
                  args=(flip.adversarial, "Loaded the changed beat from the search: edit it and watch the verdict."))

st.header("Score your own beats")
st.markdown("Upload a CSV with **one beat per row**: numbers separated by commas, semicolons or spaces, any "
            "number of them per row (each row is resampled to 140 points and rescaled like a drawing). "
            "Blank lines and lines starting with `#` are skipped.")
upload = st.file_uploader("CSV of beats", type=["csv", "txt"], key="draw_upload", max_upload_size=MAX_UPLOAD_MB)
has_label = st.checkbox("Each row starts with a class label 1-5 (UCR format): compare the verdicts with it",
                        key="draw_upload_has_label")
if upload is not None:
    try:
        scored = score_upload(model, upload.getvalue(), has_label)
    except UploadError as problem:
        st.warning(str(problem))
    else:
        table = upload_table(scored)
        st.caption(f"{upload_summary(scored)} Threshold {model.threshold:.3f} ({as_text(model.label)}).")
        if scored.looks_labelled:
            st.info(LABEL_HINT)
        confusion = confusion_table(scored)
        if confusion is not None:
            words, matrix = st.columns(2, vertical_alignment="center")
            words.markdown(accuracy_sentence(scored))
            matrix.table(confusion)
        judged, skipped = judged_and_skipped(table)
        st.dataframe(judged, column_config={"score": st.column_config.NumberColumn(format="%.4f"),
                                            "verdict": st.column_config.TextColumn(width=90),
                                            "why": st.column_config.TextColumn(width="large")})
        if len(skipped):
            st.markdown(f"**Skipped rows** ({len(skipped):,}): no beat the model can judge, and why."
                        + (f" The first {SKIPPED_SHOWN}; the download holds them all." if len(skipped) > SKIPPED_SHOWN
                           else ""))
            st.table(skipped.head(SKIPPED_SHOWN).map(as_text), hide_index=False)  # st.table reads markdown
        row_column, load_column = st.columns([1, 1], vertical_alignment="bottom")
        rows = [row.row for row in scored.readable]
        picked = row_column.selectbox("Plot a row with its reconstruction", rows, key="draw_upload_row",
                                      format_func=lambda row: f"row {row}: {table.loc[row, 'verdict']}")
        judged = scored.verdict(picked)
        load_column.button("Load this row onto the canvas", key="attack_upload_load", icon=":material/upload:",
                           on_click=attack_view.load_into_canvas,
                           args=(judged.beat, f"Loaded row {picked} of {as_text(upload.name)}."))
        st.plotly_chart(beat_figure(judged.beat, judged.reconstruction, title=f"Row {picked}: {judged.verdict}"),
                        key="draw_upload_chart", config={"displayModeBar": False})
        st.download_button("Download the results (CSV)", results_csv(table), key="draw_upload_download",
                           file_name=f"{upload.name.rsplit('.', 1)[0]}-verdicts.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore")
