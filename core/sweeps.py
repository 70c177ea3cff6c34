"""The report's claims as experiments: contamination, depth, optimizers (task lists and what
their rows say), and the threshold band of one model's scores.

Each ``*_tasks`` function returns independent ``core.experiments.Task``s; run them with
``core.experiments.run_tasks`` (or an ``ExperimentRun``) and pass the rows to the matching
summary. Sentences are computed from the numbers, never written in advance.
"""

from __future__ import annotations

import statistics
from dataclasses import replace

import numpy as np

from core.experiments import MEAN_BEAT, Task
from core.metrics import ThresholdSweep
from core.model import AutoencoderSpec
from core.recipes import Recipe
from core.train import OPTIMIZERS

CONTAMINATION_PCTS = (0, 5, 10, 20, 30, 50, 70)
# The report "Deep Learning for Anomaly Detection": test AUC at 0 / 30 / 50 % abnormal training beats.
REPORT_CONTAMINATION = {0: 0.96, 30: 0.93, 50: 0.56}
DEPTHS = tuple(range(1, 9))
# A learning rate on the composer's grid that each optimizer does well with here (test AUC .993-.998
# for seed 0 of the default recipe; at 0.01 momentum and SGD stay near .98 after 100 epochs).
SENSIBLE_LEARNING_RATES = {"adam": 0.01, "adamax": 0.01, "adadelta": 1.0, "rmsprop": 0.001,
                           "momentum": 0.1, "sgd": 1.0}
ROBUST_DROP = 0.05  # an AUC loss this large is no longer "robust"


def seeds_range(seeds: int) -> range:
    if not (isinstance(seeds, int) and 1 <= seeds <= 20):
        raise ValueError(f"seeds must be a whole number from 1 to 20, got {seeds!r}")
    return range(seeds)


# ---------------------------------------------------------------- task lists


def contamination_tasks(recipes: list[Recipe], seeds: int, pcts=CONTAMINATION_PCTS, template: bool = True,
                        data_dir: str | None = None) -> list[Task]:
    """Every recipe at every abnormal % and seed; the mean-beat template on the same training sets
    as the first recipe."""
    for pct in pcts:
        if not 0 <= pct <= 70:
            raise ValueError(f"abnormal % must be between 0 and 70, got {pct}")
    tasks = [Task(recipe.with_abnormal_fraction(pct / 100).with_seed(seed), data_dir=data_dir,
                  tags={"abnormal_pct": pct})
             for recipe in recipes for pct in pcts for seed in seeds_range(seeds)]
    if template:
        base = replace(recipes[0], name=MEAN_BEAT)
        tasks += [Task(base.with_abnormal_fraction(pct / 100).with_seed(seed), method=MEAN_BEAT,
                       data_dir=data_dir, tags={"abnormal_pct": pct})
                  for pct in pcts for seed in seeds_range(seeds)]
    return tasks


def depth_units(base: AutoencoderSpec, layers: int) -> tuple[int, ...]:
    """``layers`` encoder layers: the base's first width repeated, then its bottleneck (so only
    depth changes; for the default 32-8, two layers are the default itself)."""
    width = max(base.encoder_units[0], base.bottleneck)
    return (width,) * (layers - 1) + (base.bottleneck,)


def depth_tasks(base: Recipe, seeds: int, depths=DEPTHS, data_dir: str | None = None) -> list[Task]:
    tasks = []
    for layers in depths:
        spec = replace(base.spec, encoder_units=depth_units(base.spec, layers))
        tasks += [Task(replace(base, spec=spec).with_seed(seed), data_dir=data_dir,
                       tags={"layers": layers, "encoder_units": list(spec.encoder_units)})
                  for seed in seeds_range(seeds)]
    return tasks


def optimizer_settings(common_lr: float) -> dict[str, dict[str, float]]:
    """{"common": {optimizer: lr}, "tuned": {optimizer: lr}}."""
    return {"common": {name: common_lr for name in OPTIMIZERS}, "tuned": dict(SENSIBLE_LEARNING_RATES)}


def optimizer_tasks(base: Recipe, seeds: int, data_dir: str | None = None) -> list[Task]:
    """Each optimizer at the base's learning rate and at its own sensible one (a pair that
    coincides is trained once), with validation AUC after every epoch."""
    pairs = sorted({(name, lr) for setting in optimizer_settings(base.config.learning_rate).values()
                    for name, lr in setting.items()})
    return [Task(replace(base, config=replace(base.config, optimizer=name, learning_rate=lr, seed=seed)),
                 val_auc_per_epoch=True, data_dir=data_dir,
                 tags={"optimizer": name, "learning_rate": lr})
            for name, lr in pairs for seed in seeds_range(seeds)]


# ---------------------------------------------------------------- summaries


def spread(rows: list[dict], x: str, value: str = "test_auc") -> dict[str, list[dict]]:
    """Per recipe: one point per ``x`` with the mean, min and max of ``value`` over seeds."""
    groups: dict[str, dict] = {}
    for row in rows:
        groups.setdefault(row["recipe"], {}).setdefault(row[x], []).append(row[value])
    return {recipe: [{x: key, "mean": statistics.fmean(vals), "min": min(vals), "max": max(vals), "n": len(vals)}
                     for key, vals in sorted(points.items())]
            for recipe, points in groups.items()}


def _at(points: list[dict], key: str, x) -> dict | None:
    return next((p for p in points if p[key] == x), None)


def contamination_sentences(rows: list[dict]) -> list[str]:
    """What the run shows, per recipe: how far AUC falls, where it stops being robust, and
    whether the report's points hold."""
    sentences = []
    for recipe, points in spread(rows, "abnormal_pct").items():
        clean = _at(points, "abnormal_pct", 0)
        if clean is None:
            continue
        worse = [p for p in points if clean["mean"] - p["mean"] > ROBUST_DROP]
        text = (f"**{recipe}**: test AUC {clean['mean']:.3f} with no abnormal training beats, "
                + ", ".join(f"{p['mean']:.3f} at {p['abnormal_pct']:g} %" for p in points if p is not clean) + ". ")
        text += (f"It loses more than {ROBUST_DROP:.2f} of its AUC from {worse[0]['abnormal_pct']:g} % abnormal on"
                 if worse else "It stays within 0.05 of its clean AUC over the whole range")
        claims = [f"{_claim(p, want)} at {pct} % ({want:.2f} claimed, {p['mean']:.3f} measured)"
                  for pct, want in REPORT_CONTAMINATION.items() if (p := _at(points, "abnormal_pct", pct))]
        backwards = [p["abnormal_pct"] for p in points if p["mean"] < 0.5]
        if claims:
            text += "; the report's curve " + ", ".join(claims)
        if backwards:
            text += (f". From {backwards[0]:g} % it ranks beats backwards (AUC below 0.5): the "
                     "abnormal beats have become its norm")
        sentences.append(text + ".")
    return sentences


def _claim(point: dict, claimed: float) -> str:
    if abs(point["mean"] - claimed) <= 0.03 or point["min"] <= claimed <= point["max"]:
        return "holds"
    return "is beaten" if point["mean"] > claimed else "does not hold"


def depth_sentence(rows: list[dict]) -> str:
    auc = next(iter(spread(rows, "layers").values()), [])
    secs = next(iter(spread(rows, "layers", "train_seconds").values()), [])
    if len(auc) < 2:
        return ""
    first, last = auc[0], auc[-1]
    speed = secs[-1]["mean"] / secs[0]["mean"] if secs[0]["mean"] > 0 else float("nan")
    verdict = ("Depth does not help here" if last["mean"] - first["mean"] < 0.005
               else "The deeper network scores higher")
    return (f"{verdict}: {first['layers']} layer{'s' * (first['layers'] > 1)} reach test AUC {first['mean']:.3f}, "
            f"{last['layers']} layers {last['mean']:.3f} (mean of {first['n']} seeds), and the "
            f"{last['layers']}-layer network trains {speed:.1f}x as long.")


def optimizer_curves(rows: list[dict], common_lr: float) -> dict[str, dict[str, dict]]:
    """{setting: {optimizer: {"learning_rate", "mean_curve", "final_mean", "final_min", "final_max"}}}."""
    out = {}
    for setting, rates in optimizer_settings(common_lr).items():
        out[setting] = {}
        for name, lr in rates.items():
            runs = [r for r in rows if r["optimizer"] == name and r["learning_rate"] == lr]
            if not runs:
                continue
            length = min(len(r["val_auc_per_epoch"]) for r in runs)
            curve = np.mean([r["val_auc_per_epoch"][:length] for r in runs], axis=0)
            finals = [r["test_auc"] for r in runs]
            out[setting][name] = {"learning_rate": lr, "mean_curve": curve.tolist(), "final_mean": statistics.fmean(finals),
                                  "final_min": min(finals), "final_max": max(finals)}
    return out


def optimizer_sentence(curves: dict[str, dict[str, dict]], common_lr: float, good: float = 0.99) -> str:
    """Per setting: the range of final test AUCs, and which optimizers never reach ``good``
    validation AUC (mean over seeds) within their epochs."""
    sentences = []
    for setting, label in (("common", f"At one learning rate ({common_lr:g})"), ("tuned", "Each at its own rate")):
        found = curves.get(setting, {})
        if not found:
            continue
        finals = {name: c["final_mean"] for name, c in found.items()}
        best, worst = max(finals, key=finals.get), min(finals, key=finals.get)
        slow = [name for name, c in found.items() if max(c["mean_curve"]) < good]
        text = f"{label}, the final test AUC ranges from {finals[worst]:.3f} ({worst}) to {finals[best]:.3f} ({best})"
        text += (f"; {', '.join(slow)} never reach{'es' * (len(slow) == 1)} {good} validation AUC in "
                 f"{len(next(iter(found.values()))['mean_curve'])} epochs." if slow else
                 f"; every optimizer reaches {good} validation AUC.")
        sentences.append(text)
    return " ".join(sentences)


# ---------------------------------------------------------------- threshold band


def threshold_band(scores: np.ndarray, labels: np.ndarray, tolerance: float = 0.01) -> dict:
    """Accuracy, precision and recall at every distinct threshold, and the band around the best
    accuracy where accuracy stays within ``tolerance``: its ends, their ratio, and how far
    precision and recall move inside it."""
    sweep = ThresholdSweep(scores, labels)
    thresholds = sweep.candidate_thresholds()
    tp, fp, tn, fn = (c.astype(np.float64) for c in sweep.counts(thresholds))
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = (tp + tn) / (tp + fp + tn + fn)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
    best = int(np.argmax(accuracy))
    inside = accuracy >= accuracy[best] - tolerance
    low = best
    while low > 0 and inside[low - 1]:
        low -= 1
    high = best
    while high < len(thresholds) - 1 and inside[high + 1]:
        high += 1
    band = slice(low, high + 1)
    return {"thresholds": thresholds, "accuracy": accuracy, "precision": precision, "recall": recall,
            "best_threshold": float(thresholds[best]), "best_accuracy": float(accuracy[best]),
            "low": float(thresholds[low]), "high": float(thresholds[high]),
            "ratio": float(thresholds[high] / thresholds[low]) if thresholds[low] > 0 else float("inf"),
            "precision_range": (float(precision[band].min()), float(precision[band].max())),
            "recall_range": (float(recall[band].min()), float(recall[band].max())), "tolerance": tolerance}


def threshold_sentence(band: dict) -> str:
    p_lo, p_hi = band["precision_range"]
    r_lo, r_hi = band["recall_range"]
    return (f"Accuracy stays within {band['tolerance'] * 100:g} point of its best ({band['best_accuracy']:.3f}) "
            f"for thresholds from {band['low']:.4f} to {band['high']:.4f}, a {band['ratio']:.1f}x range, "
            f"while precision moves {p_lo:.2f}-{p_hi:.2f} and recall {r_lo:.2f}-{r_hi:.2f}.")
