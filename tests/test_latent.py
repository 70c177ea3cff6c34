"""core.latent: bottleneck views and the warnings a model earns."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.evaluation import evaluate
from core.latent import class_recalls, diagnose, latent_view, zero_code_share


def test_latent_view_of_a_wide_code_is_its_principal_plane(fitted_detector, split500):
    view = latent_view(fitted_detector, split500.test.x)
    assert view.codes.shape == (len(split500.test), 8) and view.xy.shape == (len(split500.test), 2)
    assert view.axes[0].startswith("PC 1 (")
    assert abs(view.xy[:, 0].mean()) < 1e-6 and view.xy[:, 0].var() >= view.xy[:, 1].var()


def test_latent_view_of_a_two_unit_code_is_the_code(fitted_detector, split500):
    narrow = copy.deepcopy(fitted_detector)
    narrow.encode = lambda x: np.column_stack([np.asarray(x)[:, 0], np.asarray(x)[:, 1]])
    view = latent_view(narrow, split500.test.x[:5])
    assert view.axes == ("unit 1", "unit 2")
    np.testing.assert_allclose(view.xy, split500.test.x[:5, :2])


@pytest.fixture
def collapsed(fitted_detector, split500):
    """The fitted model with its bottleneck's bias pushed far negative: every ReLU code is 0."""
    detector = copy.deepcopy(fitted_detector)
    with torch.no_grad():
        detector.model_.encoder[-2].bias.fill_(-1e3)
    return detector, evaluate(detector, split500)


def test_a_collapsed_model_is_named(collapsed, split500):
    detector, evaluation = collapsed
    assert zero_code_share(detector.encode(split500.test.x)) == 1.0
    kinds = {w.kind: w.message for w in diagnose(detector, evaluation, split500)}
    assert kinds["collapsed"].startswith("100% of the test beats get an all-zero bottleneck code")
    assert "constant output" in kinds


def test_a_healthy_model_only_hears_about_few_beats(fitted_detector, split500):
    evaluation = evaluate(fitted_detector, split500)
    warnings = diagnose(fitted_detector, evaluation, split500)
    assert [w.kind for w in warnings] == ["few beats"]
    counts = {r["class"]: r["beats"] for r in class_recalls(evaluation, split500.test)}
    assert counts == {1: 58, 2: 36, 3: 2, 4: 4}
    assert "class 3 (PVC): " in warnings[0].message and "of 2 beats" in warnings[0].message
    backwards = replace(evaluation, test_auc=0.1)
    message = next(w.message for w in diagnose(fitted_detector, backwards, split500) if w.kind == "backwards")
    assert message.startswith("This model ranks beats backwards (test AUC 0.100: below 0.5")
