"""When did a notice appear? Noted by the page itself, for benchmarks that time K pages at once.

``arm_arrival_watch(page, pattern)`` arms a watcher in the page: the wall-clock time (ms) at which
an alert (``st.success`` / ``st.info`` ...) whose text matches ``pattern`` and differs from what
was shown when armed is on screen, with the script idle. A slow wait on one page then does not
inflate another's time. The watcher looks only when the page changes (a MutationObserver reading
textContent: no layout); a timer that read innerText every 10 ms in each of K pages cost the
browser more CPU than the server it measured.
"""

from __future__ import annotations

_ARM = """
(pattern) => {
  window.__arrivedAt = null;
  const re = new RegExp(pattern);
  const read = () => [...document.querySelectorAll('[data-testid="stAlert"]')]
    .filter((e) => !e.closest('[data-stale="true"]'))
    .map((e) => e.textContent.trim()).filter((t) => re.test(t)).join('\\n');
  const old = read();
  const watcher = new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return;
    const text = read();
    if (text && text !== old) {
      window.__arrivedAt = Date.now();
      watcher.disconnect();
    }
  });
  watcher.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                                  attributeFilter: ['data-test-script-state', 'data-stale']});
}
"""


def arm_arrival_watch(page, pattern: str) -> None:
    """Note in the page when the next alert matching ``pattern`` (a JavaScript regex) shows."""
    page.evaluate(_ARM, pattern)


def arrived_at(page) -> float | None:
    """Wall-clock seconds (time.time()) when the alert armed for appeared; None if it hasn't."""
    ms = page.evaluate("window.__arrivedAt")
    return None if ms is None else ms / 1000


def wait_arrival(page, timeout: float) -> float:
    """Wait (polling slowly: many pages wait at once) for the armed alert; returns ``arrived_at``."""
    page.wait_for_function("window.__arrivedAt !== null", polling=100, timeout=timeout)
    return arrived_at(page)
