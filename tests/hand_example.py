"""The hand-checked example and the brute-force counts that the metric and detector tests compare with."""

import numpy as np

SCORES = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
LABELS = np.array([0, 0, 1, 0, 1, 1])


def brute_counts(scores, labels, threshold):
    flagged = scores > threshold
    labels = labels.astype(bool)
    return (int(np.sum(flagged & labels)), int(np.sum(flagged & ~labels)),
            int(np.sum(~flagged & ~labels)), int(np.sum(~flagged & labels)))


def brute_f1(scores, labels, threshold):
    tp, fp, tn, fn = brute_counts(scores, labels, threshold)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
