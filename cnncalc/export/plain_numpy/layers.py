"""One class per layer type: a forward pass that keeps what its backward pass needs, and the
backward pass, which stores the gradients of the layer's weights and returns the input's. A merge
reads several inputs and returns the gradient of each; a Node wires a layer to what it reads."""

from __future__ import annotations

import numpy as np

from cnncalc.export.plain_numpy.activations import ACTIVATIONS
from cnncalc.export.plain_numpy.arrays import Array, Padding, Pair, fold, pad, unpad, windows

NO_PADDING: Padding = ((0, 0), (0, 0))


class Weights:
    """A layer's weights (params), their gradients (grads) and their shapes in Keras' layout."""

    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {}  # weight name -> shape, in Keras' layout
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}

    def trainable(self) -> list[str]:
        """The weights that gradients update (not batch norm's moving averages)."""
        return [name for name in self.shapes if not name.startswith("moving_")]


class Layer(Weights):
    """A layer that reads one input."""

    def forward(self, x: Array, training: bool) -> Array:
        raise NotImplementedError

    def backward(self, dy: Array) -> Array:
        raise NotImplementedError


class Merge(Weights):
    """A layer that reads several inputs."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        raise NotImplementedError

    def backward(self, dy: Array) -> list[Array]:
        raise NotImplementedError


class Node:
    """A layer, its activation if it has one, and the names of the values it reads ("input": the
    model's input)."""

    def __init__(self, name: str, inputs: list[str], *layers: Layer | Merge) -> None:
        self.name, self.inputs, self.layers = name, inputs, layers


class Conv2D(Layer):
    """Convolution by im2col: copy every window into a row, then one matrix product.
    kernel (kh, kw, C / groups, F); channel group g feeds filter group g."""

    def __init__(
        self,
        kernel: tuple[int, int, int, int],
        *,
        strides: Pair = (1, 1),
        dilation: Pair = (1, 1),
        padding: Padding = NO_PADDING,
        pad_mode: str = "zeros",
        groups: int = 1,
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        self.shapes = {"kernel": kernel, "bias": kernel[-1:]}
        if not use_bias:
            del self.shapes["bias"]
        self.strides, self.dilation, self.groups = strides, dilation, groups
        self.padding, self.pad_mode = padding, pad_mode

    def forward(self, x: Array, training: bool) -> Array:
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

    def group_cols(self, cols: Array) -> list[Array]:
        """The im2col matrix of each channel group: (N * Ho * Wo, kh * kw * C / groups)."""
        rows = cols.reshape(-1, *cols.shape[3:])
        return [part.reshape(len(rows), -1) for part in np.split(rows, self.groups, axis=3)]

    def group_kernels(self) -> list[Array]:
        """Each group's kernel as a matrix (kh * kw * C / groups, F / groups)."""
        kernel = self.params["kernel"]
        return [part.reshape(-1, part.shape[-1]) for part in np.split(kernel, self.groups, axis=3)]

    def backward(self, dy: Array) -> Array:
        batch, out_h, out_w, filters = dy.shape
        dy_groups = np.split(dy.reshape(-1, filters), self.groups, axis=1)
        cols, kernels = self.group_cols(self.cols), self.group_kernels()
        # dL/dkernel = cols^T dy and dL/dcols = dy kernel^T, group by group.
        dkernel = np.concatenate([c.T @ g for c, g in zip(cols, dy_groups, strict=True)], axis=1)
        self.grads["kernel"] = dkernel.reshape(self.params["kernel"].shape)
        if "bias" in self.params:
            self.grads["bias"] = dy.sum(axis=(0, 1, 2))
        kh, kw, cg, _ = self.params["kernel"].shape
        dcols_groups = [(g @ k.T).reshape(-1, kh, kw, cg) for g, k in zip(dy_groups, kernels, strict=True)]
        dcols = np.concatenate(dcols_groups, axis=3).reshape(batch, out_h, out_w, kh, kw, -1)
        dx = fold(dcols, self.padded_shape, self.strides, self.dilation)
        return unpad(dx, self.padding, self.pad_mode)


class MaxPool2D(Layer):
    """Max pooling. pad_mode "ignore" (Keras' padding="same") pads with -inf, so padded
    cells never win; otherwise the padded cells take part like real ones."""

    def __init__(
        self, size: Pair, strides: Pair, padding: Padding = NO_PADDING, pad_mode: str = "ignore"
    ) -> None:
        super().__init__()
        self.size, self.strides, self.padding, self.pad_mode = size, strides, padding, pad_mode

    def forward(self, x: Array, training: bool) -> Array:
        if self.pad_mode == "ignore":
            x = pad(x, self.padding, value=-np.inf)
        else:
            x = pad(x, self.padding, self.pad_mode)
        self.padded_shape = x.shape
        cells = windows(x, self.size, self.strides)
        batch, out_h, out_w, kh, kw, channels = cells.shape
        cells = cells.reshape(batch, out_h, out_w, kh * kw, channels)
        self.winner = cells.argmax(axis=3)[:, :, :, None]  # the first maximum, as TensorFlow
        y: Array = np.take_along_axis(cells, self.winner, axis=3)[:, :, :, 0]
        return y

    def backward(self, dy: Array) -> Array:
        batch, out_h, out_w, channels = dy.shape
        (kh, kw) = self.size
        cells = np.zeros((batch, out_h, out_w, kh * kw, channels), dy.dtype)
        np.put_along_axis(cells, self.winner, dy[:, :, :, None], axis=3)  # all to the winner
        dx = fold(cells.reshape(batch, out_h, out_w, kh, kw, channels), self.padded_shape, self.strides)
        return unpad(dx, self.padding, "zeros" if self.pad_mode == "ignore" else self.pad_mode)


class AvgPool2D(Layer):
    """Average pooling. pad_mode "ignore" (Keras' padding="same") divides each window by its
    number of real cells; otherwise padded cells count and every window divides by kh * kw."""

    def __init__(
        self, size: Pair, strides: Pair, padding: Padding = NO_PADDING, pad_mode: str = "ignore"
    ) -> None:
        super().__init__()
        self.size, self.strides, self.padding, self.pad_mode = size, strides, padding, pad_mode

    def forward(self, x: Array, training: bool) -> Array:
        ignore = self.pad_mode == "ignore"
        real = np.ones((1, *x.shape[1:3], 1), x.dtype)
        x = pad(x, self.padding, "zeros" if ignore else self.pad_mode)
        self.padded_shape = x.shape
        if ignore:  # count the real cells of each window: pool a padded mask of ones
            self.count = windows(pad(real, self.padding), self.size, self.strides).sum(axis=(3, 4))
        else:
            self.count = np.array(self.size[0] * self.size[1], x.dtype)
        y: Array = windows(x, self.size, self.strides).sum(axis=(3, 4)) / self.count
        return y

    def backward(self, dy: Array) -> Array:
        batch, out_h, out_w, channels = dy.shape
        share = (dy / self.count)[:, :, :, None, None, :]  # each cell gets its share
        cells = np.broadcast_to(share, (batch, out_h, out_w, *self.size, channels))
        dx = fold(cells, self.padded_shape, self.strides)
        return unpad(dx, self.padding, "zeros" if self.pad_mode == "ignore" else self.pad_mode)


class Dense(Layer):
    """y = x @ kernel + bias on the last axis (on a channels_first map Keras' last axis is the
    width: axis=2 here)."""

    def __init__(self, fan_in: int, units: int, use_bias: bool = True, axis: int = -1) -> None:
        super().__init__()
        self.shapes = {"kernel": (fan_in, units), "bias": (units,)}
        if not use_bias:
            del self.shapes["bias"]
        self.axis = axis

    def forward(self, x: Array, training: bool) -> Array:
        self.x = np.moveaxis(x, self.axis, -1)
        y = self.x @ self.params["kernel"]
        if "bias" in self.params:
            y += self.params["bias"]
        return np.moveaxis(y, -1, self.axis)

    def backward(self, dy: Array) -> Array:
        dy = np.moveaxis(dy, self.axis, -1)
        fan_in, units = self.params["kernel"].shape
        self.grads["kernel"] = self.x.reshape(-1, fan_in).T @ dy.reshape(-1, units)
        if "bias" in self.params:
            self.grads["bias"] = dy.reshape(-1, units).sum(axis=0)
        return np.moveaxis(dy @ self.params["kernel"].T, -1, self.axis)


class Flatten(Layer):
    """(N, H, W, C) -> (N, H * W * C): Keras' order (channels_first maps too are flattened
    channels last)."""

    def forward(self, x: Array, training: bool) -> Array:
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dy: Array) -> Array:
        return dy.reshape(self.shape)


class Dropout(Layer):
    """While training, zero a fraction `rate` of the values and scale the rest by 1 / (1 - rate)."""

    def __init__(self, rate: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.rate, self.rng = rate, rng

    def forward(self, x: Array, training: bool) -> Array:
        if not training:
            self.mask = np.ones((), x.dtype)
            return x
        self.mask = (self.rng.random(x.shape) >= self.rate) / np.float32(1 - self.rate)
        return x * self.mask

    def backward(self, dy: Array) -> Array:
        return dy * self.mask


class Activation(Layer):
    """An activation function; softmax acts on the last axis (the width of a channels_first
    map: axis=2 here)."""

    def __init__(self, function: str, axis: int = -1) -> None:
        super().__init__()
        self.function, self.axis = function, axis

    def forward(self, x: Array, training: bool) -> Array:
        self.y: Array
        if self.function == "softmax":
            e = np.exp(x - x.max(axis=self.axis, keepdims=True))
            self.y = e / e.sum(axis=self.axis, keepdims=True)
        else:
            self.y = ACTIVATIONS[self.function][0](x)
        return self.y

    def backward(self, dy: Array) -> Array:
        if self.function == "softmax":
            dx: Array = self.y * (dy - (dy * self.y).sum(axis=self.axis, keepdims=True))
            return dx
        return dy * ACTIVATIONS[self.function][1](self.y)


class BatchNorm(Layer):
    """Normalise each channel (the last axis): with the batch's mean and variance in training,
    which also update the moving averages, and with the moving averages otherwise; then scale by
    gamma and shift by beta (1 and 0 when the layer has no scale or center)."""

    def __init__(
        self,
        channels: int,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        scale: bool = True,
        center: bool = True,
    ) -> None:
        super().__init__()
        names = ["gamma"] * scale + ["beta"] * center + ["moving_mean", "moving_variance"]
        self.shapes = dict.fromkeys(names, (channels,))
        self.momentum, self.epsilon = momentum, epsilon

    def forward(self, x: Array, training: bool) -> Array:
        p = self.params
        gamma, beta = p.get("gamma", 1.0), p.get("beta", 0.0)
        if not training:
            x_hat = (x - p["moving_mean"]) / np.sqrt(p["moving_variance"] + self.epsilon)
            return x_hat * gamma + beta
        axes = tuple(range(x.ndim - 1))
        mean, variance = x.mean(axis=axes), x.var(axis=axes)
        for name, value in (("moving_mean", mean), ("moving_variance", variance)):
            p[name] = p[name] * self.momentum + value * (1 - self.momentum)
        self.inv_std = 1 / np.sqrt(variance + self.epsilon)
        self.x_hat = (x - mean) * self.inv_std
        y: Array = self.x_hat * gamma + beta
        return y

    def backward(self, dy: Array) -> Array:
        axes = tuple(range(dy.ndim - 1))
        count = dy.size // dy.shape[-1]
        dbeta = dy.sum(axis=axes)
        dgamma = (dy * self.x_hat).sum(axis=axes)
        for name, grad in (("gamma", dgamma), ("beta", dbeta)):
            if name in self.shapes:
                self.grads[name] = grad
        gamma = self.params.get("gamma", 1.0)
        dx: Array = gamma * self.inv_std / count * (count * dy - dbeta - self.x_hat * dgamma)
        return dx


class GlobalAvgPool2D(Layer):
    """(N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims: the mean of each channel."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x: Array, training: bool) -> Array:
        self.shape = x.shape
        y: Array = x.mean(axis=(1, 2), keepdims=self.keepdims)
        return y

    def backward(self, dy: Array) -> Array:
        _, height, width, channels = self.shape
        return np.broadcast_to(dy.reshape(-1, 1, 1, channels) / (height * width), self.shape)


class GlobalMaxPool2D(Layer):
    """(N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims: the maximum of each channel (tied
    maxima share the gradient)."""

    def __init__(self, keepdims: bool = False) -> None:
        super().__init__()
        self.keepdims = keepdims

    def forward(self, x: Array, training: bool) -> Array:
        self.x, self.y = x, x.max(axis=(1, 2), keepdims=True)
        y: Array = self.y if self.keepdims else self.y[:, 0, 0]
        return y

    def backward(self, dy: Array) -> Array:
        winners = self.x == self.y
        dx: Array = winners * dy.reshape(self.y.shape) / winners.sum(axis=(1, 2), keepdims=True)
        return dx


class ZeroPad2D(Layer):
    """Zeros around the height and width."""

    def __init__(self, padding: Padding) -> None:
        super().__init__()
        self.padding = padding

    def forward(self, x: Array, training: bool) -> Array:
        return pad(x, self.padding)

    def backward(self, dy: Array) -> Array:
        return unpad(dy, self.padding)


class Identity(Layer):
    """Its input, unchanged."""

    def forward(self, x: Array, training: bool) -> Array:
        return x

    def backward(self, dy: Array) -> Array:
        return dy


def line_up(inputs: list[Array]) -> list[Array]:
    """Keras lines the shapes of a merge's inputs up from the right: an input of a lower rank gets
    axes of size 1 right after the batch axis (a (N, C) gate for a (N, H, W, C) map: (N, 1, 1, C))."""
    rank = max(x.ndim for x in inputs)
    return [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs]


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """The gradient of an input of this shape (batch axis included) from that of the merge's
    output: summed over the axes the input was stretched along, in the input's own shape."""
    lined_up = shape[:1] + (1,) * (grad.ndim - len(shape)) + shape[1:]
    stretched = tuple(axis for axis, size in enumerate(lined_up) if size == 1 and grad.shape[axis] != 1)
    summed: Array = grad.sum(axis=stretched, keepdims=True)
    return summed.reshape(shape)


class Add(Merge):
    """The sum of the inputs (shapes lined up from the right; a size of 1 stretches)."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.shapes_in = [x.shape for x in inputs]
        inputs = line_up(inputs)
        y: Array = sum(inputs[1:], start=inputs[0])
        return y

    def backward(self, dy: Array) -> list[Array]:
        return [unbroadcast(dy, shape) for shape in self.shapes_in]


class Subtract(Merge):
    """The first input less the second."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.shapes_in = [x.shape for x in inputs]
        first, second = line_up(inputs)
        return first - second

    def backward(self, dy: Array) -> list[Array]:
        return [unbroadcast(dy, self.shapes_in[0]), unbroadcast(-dy, self.shapes_in[1])]


class Average(Merge):
    """The mean of the inputs."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.shapes_in = [x.shape for x in inputs]
        inputs = line_up(inputs)
        y: Array = sum(inputs[1:], start=inputs[0]) / len(inputs)
        return y

    def backward(self, dy: Array) -> list[Array]:
        return [unbroadcast(dy / len(self.shapes_in), shape) for shape in self.shapes_in]


class Multiply(Merge):
    """The product of the inputs (a squeeze-and-excitation gate times its feature map)."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.shapes_in = [x.shape for x in inputs]
        self.inputs = line_up(inputs)
        y = self.inputs[0]
        for x in self.inputs[1:]:
            y = y * x
        return y

    def backward(self, dy: Array) -> list[Array]:
        grads = []
        for index, shape in enumerate(self.shapes_in):
            grad = dy
            for other, value in enumerate(self.inputs):
                if other != index:
                    grad = grad * value  # the product of the others
            grads.append(unbroadcast(grad, shape))
        return grads


class Maximum(Merge):
    """The largest input at each position; its gradient goes to the first input that holds it."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.shapes_in = [x.shape for x in inputs]
        self.inputs = line_up(inputs)
        self.y = self.inputs[0]
        for x in self.inputs[1:]:
            self.y = np.maximum(self.y, x)
        return self.y

    def backward(self, dy: Array) -> list[Array]:
        taken = np.zeros(self.y.shape, bool)
        grads = []
        for x, shape in zip(self.inputs, self.shapes_in, strict=True):
            wins = (x == self.y) & ~taken
            taken |= wins
            grads.append(unbroadcast(dy * wins, shape))
        return grads


class Minimum(Maximum):
    """The smallest input at each position: the maximum of the negated inputs, negated."""

    def forward(self, inputs: list[Array], training: bool) -> Array:
        return -super().forward([-x for x in inputs], training)

    def backward(self, dy: Array) -> list[Array]:
        return super().backward(dy)  # d(-max(-x))/dx = dmax/d(-x): the signs cancel


class Concatenate(Merge):
    """The inputs joined along one axis (the channels, axis=-1, unless told otherwise)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, inputs: list[Array], training: bool) -> Array:
        self.sizes = [x.shape[self.axis] for x in inputs]
        return np.concatenate(inputs, axis=self.axis)

    def backward(self, dy: Array) -> list[Array]:
        return np.split(dy, np.cumsum(self.sizes)[:-1], axis=self.axis)
