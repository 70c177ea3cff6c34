"""A workshop in a real browser: an instructor and two learners in one room.

The instructor starts a room and locks the epochs; each learner joins through the learner link and
trains; the locked control stays locked; the board shows both runs with the numbers each learner's
own page showed; one learner loads the other's recipe with one click on the board; a reload keeps
each learner's model; a copied link restores a composer in a fresh browser context. Screenshots of
the board and the instructor view at 1024 and 1400 px wide go to test-artifacts/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser_harness import badge, button, nav, open_page, rerun, screenshot, set_number, train, wait_idle

AUC_IN_BADGE = re.compile(r"test AUC (\d\.\d{3})")
EPOCHS = '[data-testid="stNumberInput"] input[aria-label="Epochs"]'
SEED = '[data-testid="stNumberInput"] input[aria-label="Seed"]'
GRID_ROW_HEIGHT = 35  # st.dataframe's header and row height, in CSS pixels
SLOW = 120_000  # ms: four sessions share this busy 2-core box; every wait is still bounded


def code_blocks(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stCode"]').all_inner_texts()]


def goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=SLOW)
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=SLOW)
    wait_idle(page, SLOW)


def start_room(page, server) -> tuple[str, str]:
    """(learner link, instructor link)"""
    open_page(page, server, "/classroom", timeout=SLOW)
    page.get_by_label("Room name").fill("Friday workshop")
    rerun(page, lambda: button(page, "Start a room").click(), SLOW)
    expect(page.get_by_text("is open")).to_be_visible(timeout=SLOW)
    page.locator('[data-testid="stCode"]', has_text="key=").wait_for(timeout=SLOW)
    links = code_blocks(page)
    learner = next(link for link in links if "key=" not in link)
    instructor = next(link for link in links if "key=" in link)
    return learner, instructor


def lock_epochs(page, server, epochs: int) -> None:
    nav(page, "Train a model", SLOW)
    set_number(page, "Epochs", epochs, SLOW)
    nav(page, "Classroom", SLOW)
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Lock these settings").click()
    page.keyboard.type("epochs")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    rerun(page, lambda: button(page, "Apply to the room").click(), SLOW)
    expect(page.get_by_text("The room is updated")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text(f"Locked now: epochs = {epochs}")).to_be_visible(timeout=SLOW)


def join(page, learner_link: str, name: str) -> None:
    goto(page, learner_link)
    page.get_by_label("Your display name").fill(name)
    rerun(page, lambda: button(page, "Join").click(), SLOW)
    expect(page.get_by_text("You are in")).to_be_visible(timeout=SLOW)


def train_with_seed(page, server, seed: int) -> str:
    """Train with ``seed`` on the Train page; the test AUC the learner's own badge shows."""
    nav(page, "Train a model", SLOW)
    set_number(page, "Seed", seed, SLOW)
    assert "It is now the model on every page" in train(page, timeout=3 * SLOW)
    return AUC_IN_BADGE.search(badge(page)).group(1)


def board_runs(page) -> str:
    """The runs the board's first chart holds (its dots' hover texts: name, AUC, recipe)."""
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=SLOW)
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?.data?.length > 0", timeout=SLOW)
    return page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].hovertext.join('\\n')")


def test_an_instructor_and_two_learners_share_a_room(new_page, server, artifacts):
    teacher, ada, grace = new_page(), new_page(), new_page()
    learner_link, instructor_link = start_room(teacher, server)
    assert "key=" not in learner_link and "/classroom?room=" in learner_link
    lock_epochs(teacher, server, 6)

    join(ada, learner_link, "Ada")
    join(grace, learner_link, "Grace")
    nav(ada, "Train a model", SLOW)
    epochs = ada.locator(EPOCHS)
    expect(epochs).to_be_disabled(timeout=SLOW)
    expect(epochs).to_have_value("6", timeout=SLOW)
    ada_auc = train_with_seed(ada, server, 1)
    grace_auc = train_with_seed(grace, server, 2)
    expect(grace.locator(EPOCHS)).to_be_disabled(timeout=SLOW)

    # the locked control stays locked, even through an edited URL
    goto(grace, grace.url.replace("epochs=6", "epochs=300"))
    expect(grace.locator(EPOCHS)).to_have_value("6", timeout=SLOW)
    expect(grace.locator(EPOCHS)).to_be_disabled(timeout=SLOW)
    expect(grace.get_by_text("Your instructor locked the epochs")).to_be_visible(timeout=SLOW)

    # both runs on the board, with the numbers each learner saw
    nav(teacher, "Class board", SLOW)
    dots = board_runs(teacher).splitlines()
    assert any(d.startswith("Ada<br>AUC " + ada_auc) for d in dots), dots
    assert any(d.startswith("Grace<br>AUC " + grace_auc) for d in dots), dots
    for width in (1024, 1400):
        teacher.set_viewport_size({"width": width, "height": 1000})
        wait_idle(teacher, SLOW)
        screenshot(teacher, artifacts / f"classroom-board-{width}.png")
    nav(teacher, "Classroom", SLOW)
    for width in (1024, 1400):
        teacher.set_viewport_size({"width": width, "height": 1000})
        wait_idle(teacher, SLOW)
        screenshot(teacher, artifacts / f"classroom-instructor-{width}.png")

    # Grace loads Ada's recipe with one click on Ada's row (best AUC first)
    nav(grace, "Class board", SLOW)
    ada_row = 0 if float(ada_auc) >= float(grace_auc) else 1
    grid = grace.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    rerun(grace, lambda: grace.mouse.click(box["x"] + 14, box["y"] + GRID_ROW_HEIGHT * (ada_row + 1.5)), SLOW)
    expect(grace.get_by_text("Loaded the recipe of Ada")).to_be_visible(timeout=SLOW)
    nav(grace, "Train a model", SLOW)
    expect(grace.locator(SEED)).to_have_value("1", timeout=SLOW)

    # a reload keeps each learner's model
    for page, auc in ((ada, ada_auc), (grace, grace_auc)):
        page.reload(wait_until="domcontentloaded")
        page.locator('[data-testid="stMain"] h1').first.wait_for(state="visible", timeout=SLOW)
        wait_idle(page, SLOW)
        assert "Your model #1" in badge(page) and f"test AUC {auc}" in badge(page), badge(page)

    # a copied link restores a composer in a fresh browser context
    nav(ada, "Train a model", SLOW)
    set_number(ada, "Seed", 42, SLOW)
    ada.get_by_role("button", name=re.compile("Copy link")).click()
    ada.locator('[data-testid="stCode"]', has_text="/train?").wait_for(timeout=SLOW)
    link = "".join(next(text for text in code_blocks(ada) if "/train?" in text).split())
    assert "learner=" not in link and "key=" not in link and "seed=42" in link
    stranger = new_page()
    goto(stranger, link)
    expect(stranger.locator(SEED)).to_have_value("42", timeout=SLOW)
    expect(stranger.locator(EPOCHS)).to_have_value("6", timeout=SLOW)
    assert "Default model" in badge(stranger)
    assert instructor_link not in " ".join(code_blocks(ada) + code_blocks(grace))
