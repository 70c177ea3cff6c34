"""Anomagram, rebuilt: an autoencoder anomaly-detection classroom on ECG5000.

This file is both the app's script and its server: ``streamlit run streamlit_app.py`` finds the
``st.App`` below and serves it (Starlette + uvicorn), which imports this file as a module; every
session's script run then executes it as ``__main__`` and draws the pages.
"""

import streamlit as st

if __name__ != "__main__":  # imported by `streamlit run`: the ASGI app in front of the pages
    import asyncio
    import gc
    from contextlib import asynccontextmanager

    # The libraries every session uses, loaded now and kept out of every garbage collection: a
    # full collection walked their ~350,000 objects for 0.4-0.5 s holding the GIL, a pause for
    # every learner that any request allocating enough (a large widget message) could set off.
    import matplotlib.figure  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import sqlalchemy  # noqa: F401
    import torch  # noqa: F401
    from streamlit.runtime.pages_manager import PagesManager

    from app.server import middleware, open_classroom, training_pool
    from app.shared import PREPARATION

    READY_WAIT_SECONDS = 60  # longer (a slow download): serve anyway, the pages say what is being done

    @asynccontextmanager
    async def start_up(_app):
        """Before the server takes visitors (and reports healthy to a load balancer): the data split
        and the default model, built in the background; the classroom database's schema; the
        training pool's warm workers; and ``st.navigation`` from the start (a ``pages/`` folder would otherwise make the first visitor
        see its raw file names)."""
        PagesManager.uses_pages_directory = False
        PREPARATION.start()
        await asyncio.to_thread(open_classroom)
        with training_pool():
            await asyncio.to_thread(PREPARATION.wait, READY_WAIT_SECONDS)
            yield

    gc.freeze()
    app = st.App(__file__, middleware=middleware(), lifespan=start_up)
else:
    import torch

    from app import learner_work, live_training, moved_session
    from app.navigation import session_pages

    torch.set_num_threads(1)  # tiny models: one intra-op thread per session is fastest (see README)

    st.set_page_config(page_title="ECG autoencoder lab", page_icon=":material/monitor_heart:", layout="wide")

    learner_work.start()  # a reload or a shared link: restore the learner's model, settings and room
    try:
        moved_session.follow()  # a page whose server stopped redraws on a live one and says so
        learner_work.show_notices()
        live_training.follow()  # a training that ended while the learner was elsewhere becomes their model now
        st.navigation(session_pages(), position="top").run()
    finally:
        learner_work.sync()  # the URL and the saved work follow what this run changed
