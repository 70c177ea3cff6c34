import streamlit as st

from app.state import current_model, model_badge

st.title("thresholds")
model_badge()
st.metric("Test AUC", f"{current_model().evaluation.test_auc:.3f}")
