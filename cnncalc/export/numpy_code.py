"""``cnncalc export --to numpy``: a standalone NumPy script that builds a spec's model and trains it.

The script is written to be read: it inlines the few kernels the model needs (only those)
in their plainest vectorised form — batch-first ``(N, H, W, C)`` arrays, im2col on a strided
view and one matrix product per convolution, each forward pass next to its backward pass —
rather than importing :mod:`cnncalc.backends.numpy`, whose speed work (batch-last layout,
reused buffers, blocked products) would hide the ideas. It needs NumPy only; for data it
uses cnncalc's MNIST loader when cnncalc is installed, else an ``mnist.npz`` (Keras' cache).

Every number in it (padding split, weight shapes) comes from the shape engine's records.
"""

from __future__ import annotations

from collections.abc import Callable

from cnncalc.api import SpecSource, analyze
from cnncalc.data.mnist import require_mnist_input
from cnncalc.render.escape import python_text, visible
from cnncalc.shapes.records import Analysis, AxisWindow, LayerRecord
from cnncalc.shapes.text import format_shape
from cnncalc.spec.models import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    DataFormat,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    LayerBase,
    MaxPool2D,
    Pool2D,
    ZeroPad2D,
)
from cnncalc.train import require_mnist_classifier

__all__ = ["numpy_script"]

# --------------------------------------------------------------------------- the script's parts

_IMPORTS = """\
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided"""

_PADDING = '''\
def pad(x, padding, mode="zeros", value=0.0):
    """Pad the height and width of x (N, H, W, C); padding = ((top, bottom), (left, right))."""
    widths = ((0, 0), *padding, (0, 0))
    if mode == "zeros":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode={"replicate": "edge", "reflect": "reflect"}[mode])


def source_index(size, before, after, mode):
    """For each cell of a padded axis, the input cell whose value it holds."""
    position = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    return (size - 1) - np.abs((size - 1) - np.abs(position))  # reflect: mirror at both ends


def unpad(grad, padding, mode="zeros"):
    """Gradient of pad: every padded cell hands its gradient to the cell it copied."""
    (top, bottom), (left, right) = padding
    batch, height, width, channels = grad.shape
    height, width = height - top - bottom, width - left - right
    if mode == "zeros":  # zeros are constants: their gradient goes nowhere
        return grad[:, top : top + height, left : left + width]
    rows = source_index(height, top, bottom, mode)
    cols = source_index(width, left, right, mode)
    dx = np.zeros((batch, height, width, channels), grad.dtype)
    np.add.at(dx, (slice(None), rows[:, None], cols[None, :]), grad)
    return dx'''

_WINDOWS = '''\
def windows(x, size, strides=(1, 1), dilation=(1, 1)):
    """Every window of x (N, H, W, C) as a strided view (N, Ho, Wo, kh, kw, C), without a copy:
    windows[n, i, j, a, b, c] = x[n, i * sh + a * dh, j * sw + b * dw, c]."""
    batch, height, width, channels = x.shape
    (kh, kw), (sh, sw), (dh, dw) = size, strides, dilation
    out_h = (height - dh * (kh - 1) - 1) // sh + 1
    out_w = (width - dw * (kw - 1) - 1) // sw + 1
    s_n, s_h, s_w, s_c = x.strides
    return as_strided(
        x,
        shape=(batch, out_h, out_w, kh, kw, channels),
        strides=(s_n, sh * s_h, sw * s_w, dh * s_h, dw * s_w, s_c),
        writeable=False,
    )


def fold(cells, shape, strides=(1, 1), dilation=(1, 1)):
    """The adjoint of windows: add every window cell (N, Ho, Wo, kh, kw, C) back onto the
    input cell (of an input of this shape) it came from; overlapping windows add up."""
    _, out_h, out_w, kh, kw, _ = cells.shape
    (sh, sw), (dh, dw) = strides, dilation
    dx = np.zeros(shape, cells.dtype)
    for a in range(kh):
        for b in range(kw):
            rows = slice(a * dh, a * dh + sh * (out_h - 1) + 1, sh)
            cols = slice(b * dw, b * dw + sw * (out_w - 1) + 1, sw)
            dx[:, rows, cols] += cells[:, :, :, a, b]
    return dx'''

_LAYER = '''\
class Layer:
    """A forward pass that keeps what its backward pass needs, and the backward pass: it
    stores the gradients of the layer's weights in self.grads and returns the input's."""

    def __init__(self):
        self.shapes = {}  # weight name -> shape, in Keras' layout
        self.params, self.grads = {}, {}

    def trainable(self):
        """The weights that gradients update (not batch norm's moving averages)."""
        return [name for name in self.shapes if not name.startswith("moving_")]'''

_CLASSES: dict[type[LayerBase], str] = {
    Conv2D: '''\
class Conv2D(Layer):
    """Convolution by im2col: copy every window into a row, then one matrix product.
    kernel (kh, kw, C / groups, F); channel group g feeds filter group g."""

    def __init__(self, kernel, strides=(1, 1), dilation=(1, 1), padding=((0, 0), (0, 0)),
                 pad_mode="zeros", groups=1, use_bias=True):
        super().__init__()
        self.shapes = {"kernel": kernel, "bias": kernel[-1:]}
        if not use_bias:
            del self.shapes["bias"]
        self.strides, self.dilation, self.groups = strides, dilation, groups
        self.padding, self.pad_mode = padding, pad_mode

    def forward(self, x, training):
        x = pad(x, self.padding, self.pad_mode)
        self.padded_shape = x.shape
        kh, kw, _, _ = self.params["kernel"].shape
        # (N, Ho, Wo, kh, kw, C): one row of kh * kw * C values per output position.
        self.cols = np.ascontiguousarray(windows(x, (kh, kw), self.strides, self.dilation))
        batch, out_h, out_w = self.cols.shape[:3]
        groups = zip(self.group_cols(self.cols), self.group_kernels(), strict=True)
        y = np.concatenate([cols @ kernel for cols, kernel in groups], axis=1)
        if "bias" in self.params:
            y += self.params["bias"]
        return y.reshape(batch, out_h, out_w, -1)

    def group_cols(self, cols):
        """The im2col matrix of each channel group: (N * Ho * Wo, kh * kw * C / groups)."""
        rows = cols.reshape(-1, *cols.shape[3:])
        return [part.reshape(len(rows), -1) for part in np.split(rows, self.groups, axis=3)]

    def group_kernels(self):
        """Each group's kernel as a matrix (kh * kw * C / groups, F / groups)."""
        kernel = self.params["kernel"]
        return [part.reshape(-1, part.shape[-1]) for part in np.split(kernel, self.groups, axis=3)]

    def backward(self, dy):
        batch, out_h, out_w, filters = dy.shape
        dy_groups = np.split(dy.reshape(-1, filters), self.groups, axis=1)
        cols, kernels = self.group_cols(self.cols), self.group_kernels()
        # dL/dkernel = cols^T dy and dL/dcols = dy kernel^T, group by group.
        dkernel = np.concatenate([c.T @ g for c, g in zip(cols, dy_groups, strict=True)], axis=1)
        self.grads["kernel"] = dkernel.reshape(self.params["kernel"].shape)
        if "bias" in self.params:
            self.grads["bias"] = dy.sum(axis=(0, 1, 2))
        kh, kw, cg, _ = self.params["kernel"].shape
        dcols = [(g @ k.T).reshape(-1, kh, kw, cg) for g, k in zip(dy_groups, kernels, strict=True)]
        dcols = np.concatenate(dcols, axis=3).reshape(batch, out_h, out_w, kh, kw, -1)
        dx = fold(dcols, self.padded_shape, self.strides, self.dilation)
        return unpad(dx, self.padding, self.pad_mode)''',
    MaxPool2D: '''\
class MaxPool2D(Layer):
    """Max pooling. pad_mode "ignore" (Keras' padding="same") pads with -inf, so padded
    cells never win; otherwise the padded cells take part like real ones."""

    def __init__(self, size, strides, padding=((0, 0), (0, 0)), pad_mode="ignore"):
        super().__init__()
        self.size, self.strides, self.padding, self.pad_mode = size, strides, padding, pad_mode

    def forward(self, x, training):
        if self.pad_mode == "ignore":
            x = pad(x, self.padding, value=-np.inf)
        else:
            x = pad(x, self.padding, self.pad_mode)
        self.padded_shape = x.shape
        cells = windows(x, self.size, self.strides)
        batch, out_h, out_w, kh, kw, channels = cells.shape
        cells = cells.reshape(batch, out_h, out_w, kh * kw, channels)
        self.winner = cells.argmax(axis=3)[:, :, :, None]  # the first maximum, as TensorFlow
        return np.take_along_axis(cells, self.winner, axis=3)[:, :, :, 0]

    def backward(self, dy):
        batch, out_h, out_w, channels = dy.shape
        (kh, kw) = self.size
        cells = np.zeros((batch, out_h, out_w, kh * kw, channels), dy.dtype)
        np.put_along_axis(cells, self.winner, dy[:, :, :, None], axis=3)  # all to the winner
        dx = fold(cells.reshape(batch, out_h, out_w, kh, kw, channels), self.padded_shape, self.strides)
        return unpad(dx, self.padding, "zeros" if self.pad_mode == "ignore" else self.pad_mode)''',
    AvgPool2D: '''\
class AvgPool2D(Layer):
    """Average pooling. pad_mode "ignore" (Keras' padding="same") divides each window by its
    number of real cells; otherwise padded cells count and every window divides by kh * kw."""

    def __init__(self, size, strides, padding=((0, 0), (0, 0)), pad_mode="ignore"):
        super().__init__()
        self.size, self.strides, self.padding, self.pad_mode = size, strides, padding, pad_mode

    def forward(self, x, training):
        ignore = self.pad_mode == "ignore"
        real = np.ones((1, *x.shape[1:3], 1), x.dtype)
        x = pad(x, self.padding, "zeros" if ignore else self.pad_mode)
        self.padded_shape = x.shape
        if ignore:  # count the real cells of each window: pool a padded mask of ones
            self.count = windows(pad(real, self.padding), self.size, self.strides).sum(axis=(3, 4))
        else:
            self.count = self.size[0] * self.size[1]
        return windows(x, self.size, self.strides).sum(axis=(3, 4)) / self.count

    def backward(self, dy):
        batch, out_h, out_w, channels = dy.shape
        share = (dy / self.count)[:, :, :, None, None, :]  # each cell gets its share
        cells = np.broadcast_to(share, (batch, out_h, out_w, *self.size, channels))
        dx = fold(cells, self.padded_shape, self.strides)
        return unpad(dx, self.padding, "zeros" if self.pad_mode == "ignore" else self.pad_mode)''',
    Dense: '''\
class Dense(Layer):
    """y = x @ kernel + bias on the last axis (on a channels_first map Keras' last axis is the
    width: axis=2 here)."""

    def __init__(self, fan_in, units, use_bias=True, axis=-1):
        super().__init__()
        self.shapes = {"kernel": (fan_in, units), "bias": (units,)}
        if not use_bias:
            del self.shapes["bias"]
        self.axis = axis

    def forward(self, x, training):
        self.x = np.moveaxis(x, self.axis, -1)
        y = self.x @ self.params["kernel"]
        if "bias" in self.params:
            y += self.params["bias"]
        return np.moveaxis(y, -1, self.axis)

    def backward(self, dy):
        dy = np.moveaxis(dy, self.axis, -1)
        fan_in, units = self.params["kernel"].shape
        self.grads["kernel"] = self.x.reshape(-1, fan_in).T @ dy.reshape(-1, units)
        if "bias" in self.params:
            self.grads["bias"] = dy.reshape(-1, units).sum(axis=0)
        return np.moveaxis(dy @ self.params["kernel"].T, -1, self.axis)''',
    Flatten: '''\
class Flatten(Layer):
    """(N, H, W, C) -> (N, H * W * C): Keras' order (channels_first maps too are flattened
    channels last)."""

    def forward(self, x, training):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(self.shape)''',
    Dropout: '''\
class Dropout(Layer):
    """While training, zero a fraction `rate` of the values and scale the rest by 1 / (1 - rate)."""

    def __init__(self, rate, rng):
        super().__init__()
        self.rate, self.rng = rate, rng

    def forward(self, x, training):
        if not training:
            self.mask = 1.0
            return x
        self.mask = (self.rng.random(x.shape) >= self.rate) / np.float32(1 - self.rate)
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask''',
    Activation: '''\
class Activation(Layer):
    """An activation function; softmax acts on the last axis (the width of a channels_first
    map: axis=2 here)."""

    def __init__(self, function, axis=-1):
        super().__init__()
        self.function, self.axis = function, axis

    def forward(self, x, training):
        if self.function == "softmax":
            e = np.exp(x - x.max(axis=self.axis, keepdims=True))
            self.y = e / e.sum(axis=self.axis, keepdims=True)
        else:
            self.y = ACTIVATIONS[self.function][0](x)
        return self.y

    def backward(self, dy):
        if self.function == "softmax":
            return self.y * (dy - (dy * self.y).sum(axis=self.axis, keepdims=True))
        return dy * ACTIVATIONS[self.function][1](self.y)''',
    BatchNorm: '''\
class BatchNorm(Layer):
    """Normalise each channel (the last axis): with the batch's mean and variance in training,
    which also update the moving averages, and with the moving averages otherwise."""

    def __init__(self, channels, momentum=0.99, epsilon=1e-3):
        super().__init__()
        self.shapes = {name: (channels,) for name in ("gamma", "beta", "moving_mean", "moving_variance")}
        self.momentum, self.epsilon = momentum, epsilon

    def forward(self, x, training):
        p = self.params
        if not training:
            x_hat = (x - p["moving_mean"]) / np.sqrt(p["moving_variance"] + self.epsilon)
            return x_hat * p["gamma"] + p["beta"]
        axes = tuple(range(x.ndim - 1))
        mean, variance = x.mean(axis=axes), x.var(axis=axes)
        for name, value in (("moving_mean", mean), ("moving_variance", variance)):
            p[name] = p[name] * self.momentum + value * (1 - self.momentum)
        self.inv_std = 1 / np.sqrt(variance + self.epsilon)
        self.x_hat = (x - mean) * self.inv_std
        return self.x_hat * p["gamma"] + p["beta"]

    def backward(self, dy):
        axes = tuple(range(dy.ndim - 1))
        count = dy.size // dy.shape[-1]
        self.grads["beta"] = dbeta = dy.sum(axis=axes)
        self.grads["gamma"] = dgamma = (dy * self.x_hat).sum(axis=axes)
        return self.params["gamma"] * self.inv_std / count * (count * dy - dbeta - self.x_hat * dgamma)''',
    GlobalAvgPool2D: '''\
class GlobalAvgPool2D(Layer):
    """(N, H, W, C) -> (N, C): the mean of each channel."""

    def forward(self, x, training):
        self.shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        _, height, width, _ = self.shape
        return np.broadcast_to(dy[:, None, None, :] / (height * width), self.shape)''',
    GlobalMaxPool2D: '''\
class GlobalMaxPool2D(Layer):
    """(N, H, W, C) -> (N, C): the maximum of each channel (tied maxima share the gradient)."""

    def forward(self, x, training):
        self.x = x
        self.y = x.max(axis=(1, 2))
        return self.y

    def backward(self, dy):
        winners = self.x == self.y[:, None, None, :]
        return winners * (dy / winners.sum(axis=(1, 2)))[:, None, None, :]''',
    ZeroPad2D: '''\
class ZeroPad2D(Layer):
    """Zeros around the height and width."""

    def __init__(self, padding):
        super().__init__()
        self.padding = padding

    def forward(self, x, training):
        return pad(x, self.padding)

    def backward(self, dy):
        return unpad(dy, self.padding)''',
}

_ACTIVATIONS: dict[str, str] = {
    "linear": "(lambda x: x, lambda y: np.ones_like(y))",
    "relu": "(lambda x: np.maximum(x, 0), lambda y: y > 0)",
    "relu6": "(lambda x: np.clip(x, 0, 6), lambda y: (y > 0) & (y < 6))",
    "elu": "(lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), lambda y: np.where(y > 0, 1, y + 1))",
    "leaky_relu": "(lambda x: np.maximum(x, 0.2 * x), lambda y: np.where(y > 0, 1, 0.2))",
    "tanh": "(np.tanh, lambda y: 1 - y**2)",
    "sigmoid": "(lambda x: np.exp(-np.logaddexp(0, -x)), lambda y: y * (1 - y))",
}
"""Each elementwise activation: (function, its derivative written in terms of its output)."""

_TRAINING = '''\
def initial_weights(layers, rng):
    """Keras' defaults: Glorot-uniform kernels, zero biases, gamma 1, beta 0, moving mean 0
    and moving variance 1."""
    for layer in layers:
        for name, shape in layer.shapes.items():
            if name == "kernel":
                receptive_field = math.prod(shape[:-2])
                fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
                limit = math.sqrt(6 / (fan_in + fan_out))
                layer.params[name] = rng.uniform(-limit, limit, shape).astype(np.float32)
            elif name in ("gamma", "moving_variance"):
                layer.params[name] = np.ones(shape, np.float32)
            else:
                layer.params[name] = np.zeros(shape, np.float32)


def logits(layers, x, training):
    """The class scores before the softmax head, which the loss folds in."""
    for layer in layers[:-1] if SOFTMAX_HEAD else layers:
        x = layer.forward(x, training)
    return x


def cross_entropy(scores, labels):
    """The mean cross-entropy of softmax(scores) and its gradient with respect to scores:
    (p - one_hot(labels)) / N, the famously simple gradient of softmax and cross-entropy."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return -log_p[rows, labels].mean(), grad / len(labels)


class Adam:
    """Adam with Keras' defaults and update rule."""

    def __init__(self, layers, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.layers, self.learning_rate, self.epsilon = layers, learning_rate, epsilon
        self.beta_1, self.beta_2, self.t = beta_1, beta_2, 0
        self.m = [{name: np.zeros_like(layer.params[name]) for name in layer.trainable()} for layer in layers]
        self.v = [{name: np.zeros_like(m) for name, m in ms.items()} for ms in self.m]

    def step(self):
        self.t += 1
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        for layer, ms, vs in zip(self.layers, self.m, self.v, strict=True):
            for name, m in ms.items():
                grad, v = layer.grads[name], vs[name]
                m += (grad - m) * (1 - self.beta_1)
                v += (grad * grad - v) * (1 - self.beta_2)
                layer.params[name] -= alpha * m / (np.sqrt(v) + self.epsilon)


def train_epoch(layers, adam, x, y, batch_size, rng):
    """One pass over the training set in a new random order; returns mean loss and accuracy."""
    order = rng.permutation(len(x))
    total_loss = correct = 0.0
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        scores = logits(layers, x[batch], training=True)
        loss, grad = cross_entropy(scores, y[batch])
        for layer in reversed(layers[:-1] if SOFTMAX_HEAD else layers):
            grad = layer.backward(grad)
        adam.step()
        total_loss += loss * len(batch)
        correct += np.sum(scores.argmax(axis=1) == y[batch])
    return total_loss / len(x), correct / len(x)


def evaluate(layers, x, y, batch_size=256):
    """Mean loss and accuracy in inference mode."""
    total_loss = correct = 0.0
    for start in range(0, len(x), batch_size):
        scores = logits(layers, x[start : start + batch_size], training=False)
        loss, _ = cross_entropy(scores, y[start : start + batch_size])
        total_loss += loss * len(scores)
        correct += np.sum(scores.argmax(axis=1) == y[start : start + batch_size])
    return total_loss / len(x), correct / len(x)


def load_mnist(source):
    """MNIST as uint8 images (N, 28, 28) and int labels: through cnncalc when it is installed
    (source: sample, mnist, an .npz or a folder of IDX files), else from an mnist.npz file
    (by default Keras' cached download)."""
    try:
        from cnncalc.data.mnist import load_mnist as cnncalc_load_mnist
    except ImportError:
        path = Path("~/.keras/datasets/mnist.npz" if source in ("sample", "mnist") else source).expanduser()
        if not path.is_file():
            raise SystemExit(
                f"no MNIST data at {path}: pip install 'cnncalc[mnist]' for the sample digits, "
                "or pass --data path/to/mnist.npz"
            ) from None
        with np.load(path) as data:
            return data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    data = cnncalc_load_mnist(source)
    return data.x_train, data.y_train, data.x_test, data.y_test


def model_input(images):
    """uint8 digits (N, 28, 28) -> float32 in [0, 1], zero-padded (centred) to the input size."""
    x = images.astype(np.float32) / 255
    height, width = INPUT_SIZE
    top, left = (height - 28) // 2, (width - 28) // 2
    x = np.pad(x, ((0, 0), (top, height - 28 - top), (left, width - 28 - left)))
    return x.reshape(len(x), *INPUT_SHAPE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="sample", help="sample, mnist, or a path (see load_mnist)")
    args = parser.parse_args()
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    x_train, x_test = model_input(x_train), model_input(x_test)
    rng = np.random.default_rng(args.seed)
    layers = build_model(rng)
    initial_weights(layers, rng)
    adam = Adam(layers, learning_rate=args.learning_rate)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss, accuracy = train_epoch(layers, adam, x_train, y_train, args.batch_size, rng)
        seconds = time.perf_counter() - start
        print(f"epoch {epoch}/{args.epochs}: loss {loss:.4f}, accuracy {accuracy:.2%} ({seconds:.1f} s)")
    loss, accuracy = evaluate(layers, x_test, y_test)
    print(f"test accuracy {accuracy:.2%}, test loss {loss:.4f} ({len(x_test)} digits)")


if __name__ == "__main__":
    main()'''


# --------------------------------------------------------------------------- generation


def numpy_script(spec: SpecSource) -> str:
    """The source of a standalone script that builds ``spec``'s model and trains it on MNIST
    (``python model.py --epochs 1``). Refuses specs with errors and models that cannot take
    MNIST digits or do not output 10 class scores."""
    analysis = analyze(spec)
    require_mnist_classifier(analysis, "export")
    require_mnist_input(analysis.input_shape, analysis.data_format)
    types = {type(record.layer) for record in analysis.layers}
    activations = _activations(analysis)
    if activations:
        types.add(Activation)
    parts = [f"{_docstring(analysis)}\n\n{_IMPORTS}"]
    if types & {Conv2D, MaxPool2D, AvgPool2D, ZeroPad2D}:
        parts.append(_PADDING)
    if types & {Conv2D, MaxPool2D, AvgPool2D}:
        parts.append(_WINDOWS)
    parts.append(_LAYER)
    parts.extend(code for cls, code in _CLASSES.items() if cls in types)
    elementwise = sorted(set(activations) - {"softmax"})
    if elementwise:
        entries = "".join(f"\n    {name!r}: {_ACTIVATIONS[name]}," for name in elementwise)
        comment = "# name: (function, its derivative in terms of the function's output)"
        parts.append(f"{comment}\nACTIVATIONS = {{{entries}\n}}")
    parts.extend((_build_model(analysis), _TRAINING))
    return "\n\n\n".join(parts) + "\n"


def _activations(analysis: Analysis) -> list[str]:
    """The function of every activation layer the script builds."""
    return [
        record.layer.activation
        for record in analysis.layers
        if isinstance(record.layer, Activation)
        or (isinstance(record.layer, Conv2D | Dense) and record.layer.activation != "linear")
    ]


def _docstring(analysis: Analysis) -> str:
    rows = "\n".join(
        f"    {python_text(r.name):<24} {format_shape(r.output_shape or ()):<16} "
        f"{r.params or 0:>9,} parameters"
        for r in analysis.layers
    )
    channels_first = (
        " This spec is channels_first: the table\nshows its shapes as (C, H, W); weights have the "
        "same layout in both formats."
        if analysis.data_format == "channels_first"
        else ""
    )
    return f'''"""{python_text(analysis.name)}: a convolutional network in plain NumPy, trained on MNIST.

Generated by `cnncalc export --to numpy`; run `python model.py --epochs 1`.

Layers (output shapes without the batch axis; {analysis.trainable_params:,} trainable parameters):
{rows}

Every array is batch first and channels last: (N, H, W, C) or (N, F).{channels_first}
Each layer keeps in its forward pass what its backward pass needs; the backward pass stores
the layer's weight gradients and returns its input's gradient. The loss is softmax
cross-entropy; Adam updates the weights.
"""'''


def _build_model(analysis: Analysis) -> str:
    shape = analysis.input_shape
    if len(shape) == 3 and analysis.data_format == "channels_first":
        shape = (shape[1], shape[2], shape[0])
    head = analysis.layers[-1].layer
    softmax_head = isinstance(head, Conv2D | Dense | Activation) and head.activation == "softmax"
    calls = "".join(
        f"\n        {line}"
        for record in analysis.layers
        for line in _constructors(record, analysis.data_format)
    )
    return f'''INPUT_SHAPE = {shape}  # one sample as the layers take it
INPUT_SIZE = {shape[:2] if len(shape) == 3 else (28, 28)}  # digits are zero-padded to this height and width
SOFTMAX_HEAD = {softmax_head}  # if so, the loss applies the last layer's softmax itself


def build_model(rng):
    """The layers in order, as the spec lists them."""
    return [{calls}
    ]'''


def _constructors(record: LayerRecord, data_format: DataFormat) -> list[str]:
    """The lines that build one spec layer: a comment naming it, its constructor, its activation."""
    layer = record.layer
    # Keras' Dense and softmax act on the last axis, which for a channels_first map is the width.
    on_width = data_format == "channels_first" and len(record.input_shape or ()) == 3
    lines = [
        f"# {visible(record.name)}: {format_shape(record.output_shape or ())}",
        f"{_CONSTRUCTORS[type(layer)](record, on_width)},",
    ]
    if isinstance(layer, Conv2D | Dense) and layer.activation != "linear":
        lines.append(f"{_activation_call(layer.activation, on_width)},")
    return lines


def _arguments(**values: tuple[object, object]) -> str:
    """``, name=value`` for each value that differs from its default; given as (value, default)."""
    return "".join(
        f", {key}={_literal(value)}" for key, (value, default) in values.items() if value != default
    )


def _literal(value: object) -> str:
    """Python source for a value, strings in double quotes."""
    return f'"{python_text(value)}"' if isinstance(value, str) else repr(value)


def _windows(record: LayerRecord) -> tuple[AxisWindow, AxisWindow]:
    if record.windows is None:
        raise ValueError(f"layer {record.name} has no windows in its record")
    return record.windows


def _padding(record: LayerRecord) -> tuple[tuple[int, int], tuple[int, int]]:
    rows, cols = _windows(record)
    return (rows.pad_before, rows.pad_after), (cols.pad_before, cols.pad_after)


def _kernel_shape(record: LayerRecord) -> tuple[int, ...]:
    if not record.weights:
        raise ValueError(f"layer {record.name} has no weights in its record")
    return record.weights[0].shape


def _conv(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Conv2D)
    rows, cols = _windows(record)
    options = _arguments(
        strides=((rows.strides, cols.strides), (1, 1)),
        dilation=((rows.dilation, cols.dilation), (1, 1)),
        padding=(_padding(record), ((0, 0), (0, 0))),
        pad_mode=(layer.padding_mode, "zeros"),
        groups=(layer.groups, 1),
        use_bias=(layer.use_bias, True),
    )
    return f"Conv2D({_kernel_shape(record)}{options})"


def _pool(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Pool2D)
    rows, cols = _windows(record)
    padding = _padding(record)
    mode = "ignore" if rows.same else layer.padding_mode
    options = "" if padding == ((0, 0), (0, 0)) else f", {padding}, {_literal(mode)}"
    return f"{type(layer).__name__}({(rows.kernel, cols.kernel)}, {(rows.strides, cols.strides)}{options})"


def _dense(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, Dense)
    fan_in, units = _kernel_shape(record)
    options = _arguments(use_bias=(layer.use_bias, True), axis=(2 if on_width else -1, -1))
    return f"Dense({fan_in}, {units}{options})"


def _activation_call(function: str, on_width: bool) -> str:
    axis = ", axis=2" if on_width and function == "softmax" else ""
    return f'Activation("{function}"{axis})'


def _activation(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Activation)
    return _activation_call(record.layer.activation, on_width)


def _batchnorm(record: LayerRecord, on_width: bool) -> str:
    layer = record.layer
    assert isinstance(layer, BatchNorm)
    options = _arguments(momentum=(layer.momentum, 0.99), epsilon=(layer.epsilon, 1e-3))
    return f"BatchNorm({_kernel_shape(record)[0]}{options})"


def _dropout(record: LayerRecord, on_width: bool) -> str:
    assert isinstance(record.layer, Dropout)
    return f"Dropout({record.layer.rate!r}, rng)"


_CONSTRUCTORS: dict[type[LayerBase], Callable[[LayerRecord, bool], str]] = {
    Conv2D: _conv,
    MaxPool2D: _pool,
    AvgPool2D: _pool,
    Dense: _dense,
    Flatten: lambda record, on_width: "Flatten()",
    Dropout: _dropout,
    Activation: _activation,
    BatchNorm: _batchnorm,
    GlobalAvgPool2D: lambda record, on_width: "GlobalAvgPool2D()",
    GlobalMaxPool2D: lambda record, on_width: "GlobalMaxPool2D()",
    ZeroPad2D: lambda record, on_width: f"ZeroPad2D({_padding(record)})",
}
"""The script's constructor call for each spec class (``on_width``: Dense and softmax act on
a channels_first map's width)."""
