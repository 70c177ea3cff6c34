"""Classroom: recipes as links, rooms, recorded runs, exercises. No UI in here (pages use ``app/``)."""
