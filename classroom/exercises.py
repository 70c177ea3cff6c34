"""Built-in exercises: a task, a hint and a check against one learner's recorded runs and submissions.

Each turns a claim of the report behind Anomagram into something a learner can find out. Checks
only read what the room recorded (runs: every finished training; submissions: a threshold chosen
on the Thresholds page, a drawn beat judged on the Draw page), so the board can show who has
completed what without any model in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from classroom.recipe import Settings
from classroom.storage import RunRecord, Submission

TARGET_PRECISION, TARGET_RECALL = 0.98, 0.97
TARGET_AUC = 0.99
DEFAULT_PARAMS = Settings().param_count


@dataclass(frozen=True)
class Progress:
    done: bool
    detail: str


@dataclass(frozen=True)
class Exercise:
    id: str
    short: str  # a column heading on the board
    title: str
    task: str
    hint: str
    check: Callable[[list[RunRecord], list[Submission]], Progress]


def _threshold(runs, submissions) -> Progress:
    picks = [s.payload for s in submissions if s.exercise == "threshold"]
    good = [p for p in picks if p["precision"] >= TARGET_PRECISION and p["recall"] >= TARGET_RECALL]
    if good:
        best = max(good, key=lambda p: p["precision"] + p["recall"])
        return Progress(True, f"threshold {best['threshold']:.4f}: precision {best['precision']:.3f}, "
                              f"recall {best['recall']:.3f}")
    if picks:
        last = picks[-1]
        return Progress(False, f"last try {last['threshold']:.4f}: precision {last['precision']:.3f}, "
                               f"recall {last['recall']:.3f}")
    return Progress(False, "no threshold submitted yet")


def _smallest(runs, submissions) -> Progress:
    good = [r for r in runs if r.test_auc >= TARGET_AUC]
    if not good:
        return Progress(False, f"no run with test AUC ≥ {TARGET_AUC} yet")
    small = min(good, key=lambda r: r.param_count)
    layers = "-".join(map(str, small.settings.layers))
    done = small.param_count < DEFAULT_PARAMS
    return Progress(done, f"smallest: {layers}, {small.param_count:,} parameters, AUC {small.test_auc:.3f}"
                          + ("" if done else f" (beat the default's {DEFAULT_PARAMS:,})"))


def _default_model_at(runs, percent: int) -> list[RunRecord]:
    """Runs of the default recipe (any seed) at ``percent`` abnormal training beats."""
    def same_but_abnormal(run: RunRecord) -> bool:
        s = run.settings
        return s.abnormal_percent == percent and s == Settings(abnormal_percent=percent, seed=s.seed)
    return [run for run in runs if same_but_abnormal(run)]


def _contamination(runs, submissions) -> Progress:
    clean, dirty = _default_model_at(runs, 0), _default_model_at(runs, 5)
    if clean and dirty:
        return Progress(True, f"AUC {clean[-1].test_auc:.3f} at 0 % → {dirty[-1].test_auc:.3f} at 5 % abnormal")
    missing = " and ".join(label for label, have in (("0 %", clean), ("5 %", dirty)) if not have)
    return Progress(False, f"still to train: the default recipe at {missing} abnormal")


def _depth(runs, submissions) -> Progress:
    shallow = [r for r in runs if len(r.settings.layers) == 1]
    deep = [r for r in runs if len(r.settings.layers) == 8]
    if shallow and deep:
        a, b = shallow[-1], deep[-1]
        return Progress(True, f"1 layer: AUC {a.test_auc:.3f} in {a.train_seconds:.1f} s · "
                              f"8 layers: AUC {b.test_auc:.3f} in {b.train_seconds:.1f} s")
    missing = " and ".join(label for label, have in (("1 layer", shallow), ("8 layers", deep)) if not have)
    return Progress(False, f"still to train: {missing}")


def _fool(runs, submissions) -> Progress:
    drawn = [s.payload for s in submissions if s.exercise == "fool"]
    fooled = [p for p in drawn if p["intended"] != p["verdict"]]
    if fooled:
        p = fooled[-1]
        return Progress(True, f"a beat you drew as {p['intended']} was judged {p['verdict']} "
                              f"(score {p['score']:.3f}, threshold {p['threshold']:.3f})")
    return Progress(False, f"{len(drawn)} drawn beat(s) submitted, none fooled the model yet")


EXERCISES = {e.id: e for e in (
    Exercise("threshold", "Threshold", "The threshold trade-off",
             f"On the Thresholds page, find a threshold where test precision is at least {TARGET_PRECISION:.0%} "
             f"while recall stays at least {TARGET_RECALL:.0%}, then press “Submit this threshold”.",
             "The best-F1 threshold from validation is a start. Raising it trades recall for precision: "
             "move it up in small steps and watch both tiles.", _threshold),
    Exercise("smallest", "Smallest", "The smallest good model",
             f"Train the model with the fewest parameters that still reaches test AUC ≥ {TARGET_AUC} "
             f"(fewer than the default's {DEFAULT_PARAMS:,}).",
             "Try one layer and shrink the bottleneck: a few units may be enough. Check the parameter "
             "count under the network diagram.", _smallest),
    Exercise("contamination", "5 % abnormal", "5 % abnormal training beats",
             "Train the default recipe twice: with 0 % and with 5 % abnormal beats in the training set. "
             "What happens to the test AUC?",
             "Only move the abnormal % slider; keep every other setting at its default. The report calls "
             "the model robust below 10 %: does that hold for this model?", _contamination),
    Exercise("depth", "Depth", "Does depth help?",
             "Train one model with 1 encoder layer and one with 8. Compare test AUC and training time.",
             "Use Add a layer / Remove the bottleneck. Deeper is slower: is it better?", _depth),
    Exercise("fool", "Fooled", "Fool the model",
             "On the Draw page, draw a beat that looks normal to you but is judged abnormal (or the "
             "other way round), say what you meant to draw, and submit it.",
             "Start from the average normal beat and change one detail at a time; or draw something that "
             "is not a heartbeat at all but stays close to the normal shape.", _fool),
)}


def progress(exercise_id: str, runs: list[RunRecord], submissions: list[Submission]) -> Progress:
    return EXERCISES[exercise_id].check(runs, submissions)
