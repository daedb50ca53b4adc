"""Weights, loss, Adam, the training loop, MNIST and the command line of the exported script."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnncalc.export.plain_numpy.arrays import Array
from cnncalc.export.plain_numpy.layers import Merge, Node, Weights


def layers_of(nodes: list[Node]) -> list[Weights]:
    """Every layer of the model, in order (a node's activation after its layer)."""
    return [layer for node in nodes for layer in node.layers]


def initial_weights(layers: list[Weights], rng: np.random.Generator) -> None:
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


def logits(nodes: list[Node], x: Array, training: bool) -> Array:
    """The class scores: the last node's output, before the softmax that the loss applies. Nodes
    come in order, each after the nodes it reads."""
    values = {"input": x}
    for node in nodes:
        inputs = [values[name] for name in node.inputs]
        first, *rest = node.layers
        y = (
            first.forward(inputs, training)
            if isinstance(first, Merge)
            else first.forward(inputs[0], training)
        )
        for layer in rest:  # an activation
            assert not isinstance(layer, Merge)
            y = layer.forward(y, training)
        values[node.name] = y
    return values[nodes[-1].name]


def backpropagate(nodes: list[Node], grad: Array) -> None:
    """Every weight's gradient from the scores' gradient: the nodes in reverse order, the gradients
    of a value that several nodes read summed before it is passed on."""
    grads = {nodes[-1].name: grad}
    for node in reversed(nodes):
        if node.name not in grads:  # nothing the scores depend on
            continue
        dy = grads.pop(node.name)
        first, *rest = node.layers
        for layer in reversed(rest):
            assert not isinstance(layer, Merge)
            dy = layer.backward(dy)
        input_grads = first.backward(dy) if isinstance(first, Merge) else [first.backward(dy)]
        for name, dx in zip(node.inputs, input_grads, strict=True):
            grads[name] = grads[name] + dx if name in grads else dx


def cross_entropy(scores: Array, labels: Array) -> tuple[float, Array]:
    """The mean cross-entropy of softmax(scores) and its gradient with respect to scores:
    (p - one_hot(labels)) / N, the famously simple gradient of softmax and cross-entropy."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return -float(log_p[rows, labels].mean()), grad / len(labels)


class Adam:
    """Adam with Keras' defaults and update rule."""

    def __init__(
        self,
        layers: list[Weights],
        learning_rate: float = 1e-3,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        self.layers, self.learning_rate, self.epsilon = layers, learning_rate, epsilon
        self.beta_1, self.beta_2, self.t = beta_1, beta_2, 0
        self.m = [{name: np.zeros_like(layer.params[name]) for name in layer.trainable()} for layer in layers]
        self.v = [{name: np.zeros_like(m) for name, m in ms.items()} for ms in self.m]

    def step(self) -> None:
        self.t += 1
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        for layer, ms, vs in zip(self.layers, self.m, self.v, strict=True):
            for name in ms:
                grad, m, v = layer.grads[name], ms[name], vs[name]
                m += (grad - m) * (1 - self.beta_1)
                v += (grad * grad - v) * (1 - self.beta_2)
                layer.params[name] -= alpha * m / (np.sqrt(v) + self.epsilon)


def train_epoch(
    nodes: list[Node], adam: Adam, x: Array, y: Array, *, batch_size: int, rng: np.random.Generator
) -> tuple[float, float]:
    """One pass over the training set in a new random order; returns mean loss and accuracy."""
    order = rng.permutation(len(x))
    total_loss = correct = 0.0
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        scores = logits(nodes, x[batch], training=True)
        loss, grad = cross_entropy(scores, y[batch])
        backpropagate(nodes, grad)
        adam.step()
        total_loss += loss * len(batch)
        correct += np.sum(scores.argmax(axis=1) == y[batch])
    return total_loss / len(x), correct / len(x)


def evaluate(nodes: list[Node], x: Array, y: Array, batch_size: int = 256) -> tuple[float, float]:
    """Mean loss and accuracy in inference mode."""
    total_loss = correct = 0.0
    for start in range(0, len(x), batch_size):
        scores = logits(nodes, x[start : start + batch_size], training=False)
        loss, _ = cross_entropy(scores, y[start : start + batch_size])
        total_loss += loss * len(scores)
        correct += np.sum(scores.argmax(axis=1) == y[start : start + batch_size])
    return total_loss / len(x), correct / len(x)


def load_mnist(source: str) -> tuple[Array, Array, Array, Array]:
    """MNIST as uint8 images (N, 28, 28) and int labels: through cnncalc when it is installed
    (source: sample, mnist, an .npz or a folder of IDX files), else from an mnist.npz file
    (by default Keras' cached download)."""
    try:
        from cnncalc.data.mnist import load_mnist as cnncalc_load_mnist
    except ImportError:
        path = Path("~/.keras/datasets/mnist.npz" if source in ("sample", "mnist") else source).expanduser()
        if not path.is_file():
            raise SystemExit(
                f"no MNIST data at {path}: install cnncalc with its mnist extra for the sample digits, "
                "or pass --data path/to/mnist.npz"
            ) from None
        with np.load(path) as data:
            return data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    data = cnncalc_load_mnist(source)
    return data.x_train, data.y_train, data.x_test, data.y_test


def model_input(images: Array, input_shape: tuple[int, ...]) -> Array:
    """uint8 digits (N, 28, 28) -> float32 in [0, 1], zero-padded (centred) to the height and
    width of the input shape (H, W, C), or flattened for a vector input (784,)."""
    x = images.astype(np.float32) / 255
    if len(input_shape) == 3:
        height, width = input_shape[:2]
        top, left = (height - 28) // 2, (width - 28) // 2
        x = np.pad(x, ((0, 0), (top, height - 28 - top), (left, width - 28 - left)))
    return x.reshape(len(x), *input_shape)


def main(build_model: Callable[[np.random.Generator], list[Node]], input_shape: tuple[int, ...]) -> None:
    """Train the model that build_model makes on MNIST and test it, as the command line says."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="sample", help="sample, mnist, or a path (see load_mnist)")
    args = parser.parse_args()
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    x_train, x_test = model_input(x_train, input_shape), model_input(x_test, input_shape)
    rng = np.random.default_rng(args.seed)
    nodes = build_model(rng)
    initial_weights(layers_of(nodes), rng)
    adam = Adam(layers_of(nodes), learning_rate=args.learning_rate)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        loss, accuracy = train_epoch(nodes, adam, x_train, y_train, batch_size=args.batch_size, rng=rng)
        seconds = time.perf_counter() - start
        print(f"epoch {epoch}/{args.epochs}: loss {loss:.4f}, accuracy {accuracy:.2%} ({seconds:.1f} s)")
    loss, accuracy = evaluate(nodes, x_test, y_test)
    print(f"test accuracy {accuracy:.2%}, test loss {loss:.4f} ({len(x_test)} digits)")
