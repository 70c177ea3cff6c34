import streamlit as st

from app import classroom_view, room_session
from app.state import use_app_navigation

use_app_navigation()

st.title("Classroom")
st.markdown("Work as a class: join your instructor's room and every model you train appears on the "
            "**Class board**, next to everyone else's. Instructors start a room here.")
classroom_view.show_notice()
if room_session.room() is None:
    classroom_view.join_or_start()
else:
    classroom_view.room_header()
    classroom_view.exercises()
    if room_session.is_instructor():
        classroom_view.instructor_panel()
