"""``cnncalc export --to keras``: a standalone, readable Keras script of the spec.

The script builds the model in the article's style (``model = Sequential()``, then
``model.add(...)`` per layer), prints Keras' summary and trains it on MNIST
(``python model.py --epochs 1``). Writing it needs no Keras: the layers come from
:mod:`cnncalc.backends.keras.plan`, the padding layer's source from its file.
"""

from __future__ import annotations

import ast
from importlib import resources
from typing import Any

from cnncalc.backends.keras.plan import CUSTOM_PADDING, KerasLayer, keras_layers, logits_output
from cnncalc.data.mnist import MNIST_SIDE, require_mnist_input
from cnncalc.errors import CnncalcError, DataError
from cnncalc.render.escape import python_text
from cnncalc.shapes.records import Analysis

HEADER = '''\
"""{name}: {layers} layers, {params:,} parameters. Written by cnncalc from {source}.

Build the model, print Keras' summary and train it on MNIST:

    python {script} --epochs 1
"""

import argparse
{typing}
import keras
import numpy as np
from keras.layers import {imports}
from keras.models import Sequential
'''

BUILD = '''

def build_model():
    """The network, layer by layer."""
    model = Sequential(name={name})
    model.add(keras.Input(shape={input}))
{adds}
    return model
'''

TRAIN = '''

def prepare(images):
    """MNIST digits (N, 28, 28) uint8 → the model's input {input}, floats in [0, 1]."""
    images = images.astype("float32") / 255
{reshape}


def load_mnist(source):
    """MNIST as uint8 images (N, 28, 28) and int labels: through cnncalc when it is installed
    (source: sample, mnist, an .npz or a folder of IDX files), else from an mnist.npz file or, for
    sample and mnist, Keras' download (cached in ~/.keras/datasets)."""
    try:
        from cnncalc.data.mnist import load_mnist as cnncalc_load_mnist
    except ImportError:
        if source in ("sample", "mnist"):
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            return x_train, y_train, x_test, y_test
        with np.load(source) as data:
            return data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    data = cnncalc_load_mnist(source)
    return data.x_train, data.y_train, data.x_test, data.y_test


def main():
    parser = argparse.ArgumentParser(description="Train {name} on MNIST with Keras.")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default="sample", help="sample, mnist, or a path (see load_mnist)")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    model = build_model()
    model.summary()
    x_train, y_train, x_test, y_test = load_mnist(args.data)
    x_train, x_test = prepare(x_train), prepare(x_test)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits={from_logits}),
        metrics=["accuracy"],
    )
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_data=(x_test, y_test)
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy: {{accuracy:.4f}}, test loss: {{loss:.4f}}")


if __name__ == "__main__":
    main()
'''

SUMMARY_ONLY = """

def main():
    build_model().summary()
    # It cannot be trained on MNIST as it is: {reason}


if __name__ == "__main__":
    main()
"""


def keras_code(analysis: Analysis, *, script: str = "model.py") -> str:
    """The script's source for an analysed spec without errors."""
    spec = analysis.spec
    planned = [
        keras_layer
        for record in analysis.layers
        for keras_layer in keras_layers(record.layer, spec.data_format, record.input_shape or ())
    ]
    classes = sorted({layer.class_name for layer in planned} - {CUSTOM_PADDING})
    code = HEADER.format(
        name=python_text(spec.name),
        layers=len(spec.layers),
        params=analysis.total_params,
        source=python_text(analysis.file or "a spec"),
        script=script,
        typing="from typing import Any\n"
        if CUSTOM_PADDING in {layer.class_name for layer in planned}
        else "",
        imports=", ".join(classes),
    )
    if any(layer.class_name == CUSTOM_PADDING for layer in planned):
        code += "\n\n" + padding_class_source() + "\n"
    code += BUILD.format(
        name=_literal(spec.name),
        input=_literal(spec.input),
        adds="\n".join(_add(layer) for layer in planned),
    )
    try:
        from_logits = logits_output(analysis)
        reshape = _reshape(analysis)
    except (CnncalcError, DataError) as exc:
        return code + SUMMARY_ONLY.format(reason=str(exc))
    return code + TRAIN.format(
        name=python_text(spec.name), input=_literal(spec.input), reshape=reshape, from_logits=from_logits
    )


def _reshape(analysis: Analysis) -> str:
    """The body of ``prepare`` after scaling: the same as :func:`cnncalc.data.mnist.prepare`."""
    spec = analysis.spec
    size = require_mnist_input(spec.input, spec.data_format)  # can it?
    if size is None:
        return f"    return images.reshape(len(images), {spec.input[0]})"
    height, width = size
    lines = []
    if (height, width) != (MNIST_SIDE, MNIST_SIDE):
        top, left = (height - MNIST_SIDE) // 2, (width - MNIST_SIDE) // 2
        pads = ((0, 0), (top, height - MNIST_SIDE - top), (left, width - MNIST_SIDE - left))
        lines.append(f"    images = np.pad(images, {pads})  # centred: 28×28 → {height}×{width}")
    axis = "[:, np.newaxis]" if spec.data_format == "channels_first" else "[..., np.newaxis]"
    lines.append(f"    return images{axis}  # the channel axis")
    return "\n".join(lines)


def _add(layer: KerasLayer) -> str:
    """``    model.add(...)``, wrapped as ruff and black would when it is longer than 110 characters."""
    line = f"    model.add({_call(layer)})"
    return line if len(line) <= 110 else f"    model.add(\n        {_call(layer)}\n    )"


def _call(layer: KerasLayer) -> str:
    """``Conv2D(filters=6, kernel_size=5, name="conv2d")``; channels_last, Keras' default, left out."""
    arguments = {k: v for k, v in layer.arguments.items() if (k, v) != ("data_format", "channels_last")}
    return f"{layer.class_name}({', '.join(f'{k}={_literal(v)}' for k, v in arguments.items())})"


def _literal(value: Any) -> str:
    """Python source for a value, strings in double quotes."""
    if isinstance(value, str):
        return f'"{python_text(value)}"'
    return repr(value)


def padding_class_source() -> str:
    """The source of the custom padding layer, read from its module (without importing Keras)."""
    text = resources.files("cnncalc.backends.keras").joinpath("padding.py").read_text(encoding="utf-8")
    node = next(
        node
        for node in ast.parse(text).body
        if isinstance(node, ast.ClassDef) and node.name == CUSTOM_PADDING
    )
    first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return "\n".join(text.splitlines()[first - 1 : node.end_lineno])
