"""Anomagram, rebuilt: an autoencoder anomaly-detection classroom on ECG5000."""

import streamlit as st
import torch

from app import learner_work
from app.navigation import session_pages

torch.set_num_threads(1)  # tiny models: one intra-op thread per session is fastest (see README)

st.set_page_config(page_title="ECG autoencoder lab", page_icon=":material/monitor_heart:", layout="wide")

learner_work.start()  # a reload or a shared link: restore the learner's model, settings and room
try:
    learner_work.show_notices()
    st.navigation(session_pages()).run()
finally:
    learner_work.sync()  # the URL and the saved work follow what this run changed
