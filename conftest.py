"""Collection settings for the whole repository (doctests included)."""

# These modules import TensorFlow when imported (five seconds, or an error where it is not
# installed) and hold no doctests: keep doctest collection from importing them.
collect_ignore = [
    f"cnncalc/backends/keras/{module}.py" for module in ("build", "convert", "padding", "trainer")
]
# PyTorch twins of torchvision's models, for the tests that run the FLOP counters (extra `torch`).
collect_ignore.append("tests/torch_models.py")
