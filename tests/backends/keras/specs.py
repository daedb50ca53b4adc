"""Spec helpers for the Keras bridge tests."""

from __future__ import annotations

from cnncalc.spec.models import LintSection, Spec


def network_only(spec: Spec) -> Spec:
    """The spec without the linter's settings (``num_classes``, ``lint:``), which a Keras model does not hold."""
    return spec.model_copy(update={"num_classes": None, "lint": LintSection()})
