"""app.address_guard: the metrics endpoint is not public; a page address with extra segments
gets a "page not found" page that links back to every page (the browser test opens one)."""

import asyncio

import pytest

from app.address_guard import AddressGuard, answer
from app.navigation import PAGES


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics/", "/lab/_stcore/metrics"])
def test_the_metrics_endpoint_is_not_found(path):
    response = answer(path, "/lab" if path.startswith("/lab") else "")
    assert response.status_code == 404 and b"session" not in response.body


@pytest.mark.parametrize("path, base", [("/draw/x", ""), ("/train/a/b", ""), ("/nothing/here", ""),
                                        ("/lab/draw/x", "/lab")])
def test_a_page_address_with_extra_segments_is_a_page_not_found_with_a_way_back(path, base):
    response = answer(path, base)
    page = response.body.decode()
    assert response.status_code == 404 and "<h1>Page not found</h1>" in page and path in page
    for info in PAGES:
        assert f'<a href="{base}/{info.path}">{info.title.replace("&", "&amp;")}</a>' in page


@pytest.mark.parametrize("path", ["/", "/draw", "/draw/", "/_stcore/health", "/_stcore/stream",
                                  "/_stcore/upload_file/abc/def", "/static/js/index.js", "/media/abc.png",
                                  "/component/x/index.html", "/app/static/a.png", "/auth/login",
                                  "/favicon.png", "/elsewhere/x"])
def test_everything_else_is_left_to_streamlit(path):
    assert answer(path, "/lab" if path.startswith("/elsewhere") else "") is None


def test_the_middleware_answers_or_passes_on():
    passed, sent = [], []

    async def streamlit(scope, receive, send):
        passed.append(scope["path"])

    async def send(message):
        sent.append(message)

    guard = AddressGuard(streamlit)
    for path in ("/draw", "/draw/x", "/_stcore/metrics"):
        asyncio.run(guard({"type": "http", "path": path, "method": "GET", "headers": []}, None, send))
    asyncio.run(guard({"type": "websocket", "path": "/_stcore/stream", "headers": []}, None, send))
    assert passed == ["/draw", "/_stcore/stream"]
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [404, 404]
