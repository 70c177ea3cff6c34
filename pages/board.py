import streamlit as st

from app import board_view, room_session
from app.state import use_app_navigation
from app.text import as_text

use_app_navigation()

st.title("Class board")
if room_session.room() is None:
    st.info("The Class board shows the runs of everyone in your room. Join a room on the Classroom page "
            "first.", icon=":material/groups:")
    st.page_link("pages/classroom.py", label="Go to the Classroom page", icon=":material/groups:")
    st.stop()
st.markdown(f"Room **{as_text(room_session.room().name)}**: everyone's trainings, live. "
            "Where do the class's results agree, and where does one setting change everything?")
board_view.live_board()
