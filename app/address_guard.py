"""Addresses the server answers before Streamlit does (ASGI middleware for ``st.App``).

- ``/_stcore/metrics`` is Streamlit's public metrics endpoint (sessions, cache sizes, per-page
  counts): nothing a learner needs, something anyone on the network could watch the class
  with. There is no setting to turn it off, so it answers 404 here.
- A page address with extra segments (``/draw/x``, a link cut or pasted wrong) gets Streamlit's
  page shell, whose scripts are relative links: the browser then asks for ``/draw/static/...``,
  gets the shell again instead of JavaScript and stays blank forever. Such an address answers a
  small "page not found" page with a link to every page instead.

Streamlit's own addresses with several segments (its API, assets, media, components, sign-in)
pass through untouched.
"""

from __future__ import annotations

import html

import streamlit as st
from starlette.responses import HTMLResponse, PlainTextResponse

from app.navigation import PAGES

METRICS = "_stcore/metrics"
STREAMLIT_PREFIXES = frozenset({"_stcore", "static", "component", "media", "app", "auth"})
APP_TITLE = "ECG autoencoder lab"


class AddressGuard:
    """``Middleware(AddressGuard)``: see the module docstring."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        response = answer(scope["path"], base_path()) if scope["type"] == "http" else None
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)


def base_path() -> str:
    """``server.baseUrlPath`` as ``/lab`` (or ``""``), read per request: config loads after import."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def answer(path: str, base: str = "") -> HTMLResponse | PlainTextResponse | None:
    """The response for ``path`` when this guard answers it, else None (Streamlit answers)."""
    if base and not (path == base or path.startswith(base + "/")):
        return None
    relative = path[len(base):].strip("/")
    if relative == METRICS or relative.startswith(METRICS + "/"):
        return PlainTextResponse("Not found", status_code=404)
    segments = relative.split("/")
    if len(segments) > 1 and segments[0] not in STREAMLIT_PREFIXES:
        return HTMLResponse(page_not_found(path, base), status_code=404)
    return None


def page_not_found(path: str, base: str) -> str:
    links = "".join(f'<li><a href="{html.escape(base)}/{page.path}">{html.escape(page.title)}</a></li>'
                    for page in PAGES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found · {APP_TITLE}</title>
<style>body{{font-family:"Source Sans Pro",system-ui,sans-serif;color:#31333f;max-width:40rem;margin:4rem auto;
padding:0 1.5rem;line-height:1.5}}h1{{font-size:2rem}}code{{background:#f0f2f6;padding:.1rem .3rem;border-radius:.25rem}}
a{{color:#ff4b4b}}</style></head>
<body><h1>Page not found</h1>
<p>There is no page at <code>{html.escape(path)}</code> in the {APP_TITLE}. The link may have been cut or
pasted with something extra at the end.</p>
<p>Go to one of its pages:</p><ul>{links}</ul></body></html>
"""
