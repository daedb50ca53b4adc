"""Numerical kernels of the NumPy backend: pure functions, each forward next to its backward,
one module per family.

=================  ==========================================================================
module             kernels
=================  ==========================================================================
``conv``           2-D convolution (strides, dilation, groups, padding modes) by im2col
``pooling``        max and average pooling, global pooling
``dense``          dense on the feature axis
``normalization``  batch normalisation, moving averages
``activations``    every elementwise activation and softmax
``dropout``        inverted dropout
``reshape``        merges and reshapes: flatten
``loss``           cross-entropy from logits (fused softmax) or from probabilities
``initializers``   Keras' default initialisers
``layout``         public batch-first arrays to the internal batch-last layout and back
=================  ==========================================================================

Padding, im2col, col2im and reusable buffers, which several families share, are in
:mod:`cnncalc.backends.numpy.im2col`.

Layout
------
Keras' public layout is batch first, channels last: ``(N, H, W, C)`` and ``(N, F)``.
Inside the backend every array keeps the same axes with batch and channels *swapped*:
``(C, H, W, N)`` and ``(F, N)``. With the batch innermost, every per-tap slice of a
convolution or pooling window is a run of ``W * N`` (or ``N``) contiguous floats, the
im2col matrix comes out as ``(C * kh * kw, Ho * Wo * N)`` with no transpose, a
convolution's matmul writes its output directly in the next layer's layout, and the
feature axis is always axis 0 (dense, batch norm, softmax). Convert once at the model's
edges (:mod:`.layout`).

Weights keep Keras' layouts so they can be copied to and from Keras unchanged: conv kernel
``(kh, kw, C_in / groups, filters)``, dense kernel ``(fan_in, units)``, biases and batch
norm vectors ``(C,)``.

Dtype: float32 in production; every kernel also runs in float64 (gradient checks), and
returns arrays of its input's dtype.

Caches are small frozen dataclasses holding exactly what the backward pass reads; they
keep references, not copies, so a layer's input and output must stay unchanged until its
backward pass.

Buffers: kernels that make large arrays take an optional ``workspace``
(:class:`~cnncalc.backends.numpy.im2col.Workspace`). A layer keeps one and passes it to
its forward and backward calls so those arrays are allocated once, not at every step; what
such a call returns is then valid only until that layer's next call. Activations take
``out=`` instead, to work in place.
"""
