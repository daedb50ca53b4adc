"""The pieces of the script ``cnncalc export --to numpy`` writes, as real, tested modules.

The exporter copies the definitions a spec's model needs from these modules (with the
definitions they use in turn) into one standalone script: see
:mod:`cnncalc.export.numpy_code`. They are written to be read: batch-first ``(N, H, W, C)``
arrays, im2col on a strided view and one matrix product per convolution, each layer's forward
pass next to its backward pass, NumPy only. The backend (:mod:`cnncalc.backends.numpy`)
computes the same things fast; tests check that the two agree.

Rules for code here: only NumPy and the standard library; imports of each other's names are
for the type checker and the tests (the script holds every definition at top level); and
nothing at module level but definitions.
"""
