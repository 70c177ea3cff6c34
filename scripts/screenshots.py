"""Screenshots of every page for the README, taken in headless Chromium on the real app.

Run from the repository root (needs Chromium and the data): python scripts/screenshots.py
Writes docs/screenshots/{introduction,train,thresholds,draw}.png.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_harness import launch_chromium, new_app_context, open_page, rerun, screenshot, train  # noqa: E402
from streamlit_server import StreamlitServer, data_dir  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    folder = data_dir()
    if folder is None:
        print("ECG5000 not found: set ECG5000_DIR", file=sys.stderr)
        return 2
    with StreamlitServer(folder) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = new_app_context(browser).new_page()

        open_page(page, server, "/")
        captions = page.get_by_text(re.compile(r"^#\d+ · ")).all_inner_texts()  # "#74 · R-on-T PVC"
        abnormal = next(i for i, text in enumerate(captions) if not text.endswith("· Normal"))
        card = page.locator(f".st-key-gallery_inspect_{abnormal}")
        rerun(page, lambda: card.get_by_role("button", name="Inspect").click())
        screenshot(page, OUT / "introduction.png")

        open_page(page, server, "/train")
        train(page)
        screenshot(page, OUT / "train.png")

        open_page(page, server, "/thresholds")
        screenshot(page, OUT / "thresholds.png")

        open_page(page, server, "/draw")
        rerun(page, lambda: page.locator(".st-key-draw_preset_pvc").get_by_role("button").click())
        page.wait_for_selector('[data-testid="stPlotlyChart"]')
        page.mouse.move(5, 5)  # off the preset button: no tooltip in the picture
        page.wait_for_selector('[data-testid="stTooltipContent"]', state="detached")
        screenshot(page, OUT / "draw.png")
        browser.close()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.png')))} to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
