"""Anomagram, rebuilt: an autoencoder anomaly-detection classroom on ECG5000."""

import streamlit as st
import torch

torch.set_num_threads(1)  # tiny models: one intra-op thread per session is fastest (see README)

st.set_page_config(page_title="ECG autoencoder lab", page_icon=":material/monitor_heart:", layout="wide")

pages = [
    st.Page("pages/introduction.py", title="Introduction", icon=":material/menu_book:", url_path="introduction", default=True),
    st.Page("pages/train.py", title="Train a model", icon=":material/model_training:", url_path="train"),
    st.Page("pages/thresholds.py", title="Thresholds & ROC", icon=":material/tune:", url_path="thresholds"),
    st.Page("pages/draw.py", title="Draw a beat", icon=":material/draw:", url_path="draw"),
]
st.navigation(pages).run()
