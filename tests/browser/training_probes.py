"""What the train page shows while a run goes, read in the page: the loss chart's epochs, and a
recorder that samples the progress line and the chart during a training (see test_journeys)."""

# How many epochs the train page's loss chart (a Vega-Lite chart titled "Loss per epoch") draws, or
# null: the points of its first line (the train loss), from the SVG path Vega drew ("M x,y L x,y ...").
LOSS_EPOCHS = """
() => {
  const chart = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .find((c) => (c.querySelector('.role-title-text') || {}).textContent === 'Loss per epoch');
  const line = chart && chart.querySelector('.mark-line path');
  return line ? (line.getAttribute('d').match(/L/g) || []).length + 1 : null;
}
"""

# Samples the train page every 40 ms while a run goes: the progress line, how many epochs the
# loss chart holds, the script state, and how many chart views (Vega's <svg>) have appeared so
# far: a chart whose view is built anew goes blank for a moment and costs a full Vega compile.
_TRAINING_RECORDER = f"""
() => {{
  const samples = [];
  const lossEpochs = {LOSS_EPOCHS};
  let views = 0;
  window.__trainingSamples = samples;
  window.__trainingTimer = setInterval(() => {{
    for (const view of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks')) {{
      if (!view.dataset.seen) {{ view.dataset.seen = '1'; views += 1; }}
    }}
    const progress = document.querySelector('[data-testid="stProgress"]');
    samples.push({{
      t: performance.now(),
      progress: progress ? progress.innerText : null,
      lossEpochs: lossEpochs(),
      views,
      running: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'running',
    }});
  }}, 40);
}}
"""


def start_training_recorder(page) -> None:
    page.evaluate(_TRAINING_RECORDER)


def stop_training_recorder(page) -> list[dict]:
    return page.evaluate("() => { clearInterval(window.__trainingTimer); return window.__trainingSamples; }")
