"""What every session shares (the data split, the default model) is built once, at server start-up,
and a client's websocket ``clear_cache`` message can't make the server build it again."""

from __future__ import annotations

import re

from browser_harness import badge, open_page
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

READY_LINE = "Data split and default model ready for every session"
TRAINED_AT = re.compile(r"trained (\d\d:\d\d:\d\d)")


def send_clear_cache(server, timeout: float = 60.0) -> None:
    """What Streamlit's own "Clear caches" sends, from a bare websocket client; then a rerun, and
    wait for it to finish: the server handles one session's messages in order, so the caches were
    cleared by then."""
    clear, rerun = BackMsg(clear_cache=True), BackMsg()
    rerun.rerun_script.SetInParent()
    with connect(server.url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                 open_timeout=timeout) as websocket:
        websocket.send(clear.SerializeToString())
        websocket.send(rerun.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(websocket.recv(timeout=timeout))
            if message.WhichOneof("type") == "script_finished":
                return


def test_a_clear_cache_message_does_not_rebuild_the_shared_data_or_default_model(new_page, server):
    assert server.log_tail(chars=10**7).count(READY_LINE) == 1, "prepared once, at start-up"
    first = new_page()
    open_page(first, server, "/")
    trained_at = TRAINED_AT.search(badge(first)).group(1)

    send_clear_cache(server)
    send_clear_cache(server)

    second = new_page()
    open_page(second, server, "/thresholds")
    assert "Default model" in badge(second)
    assert TRAINED_AT.search(badge(second)).group(1) == trained_at, "the default model was trained again"
    assert server.log_tail(chars=10**7).count(READY_LINE) == 1, "the shared objects were built again"
