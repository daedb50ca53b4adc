"""The bridge's own Keras layers: replicate and reflect padding (Keras has only zero padding built in),
and ConvNeXt's layer scale (defined by Keras Applications for ConvNeXt only).

This module imports nothing from cnncalc: ``cnncalc export --to keras`` copies the classes it needs into
the standalone scripts it writes, and models saved with it reload wherever it is defined.
"""

from typing import Any

import keras  # type: ignore[import-untyped]
import numpy as np


@keras.saving.register_keras_serializable(package="cnncalc")
class Padding2D(keras.layers.Layer):  # type: ignore[misc]
    """Pads height and width by repeating the edge pixels (``replicate``) or mirroring them
    without repeating the edge (``reflect``), as PyTorch's padding modes of those names do.

    ``padding`` is ``((top, bottom), (left, right))``; reflect padding must be shorter than the
    axis it pads. ``same`` records that the split came from ``padding: same`` (for import).
    """

    def __init__(
        self,
        padding: tuple[tuple[int, int], tuple[int, int]],
        mode: str = "replicate",
        data_format: str = "channels_last",
        same: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in ("replicate", "reflect"):
            raise ValueError(f"mode must be 'replicate' or 'reflect', got {mode!r}")
        (top, bottom), (left, right) = padding
        self.padding = ((int(top), int(bottom)), (int(left), int(right)))
        self.mode = mode
        self.data_format = data_format
        self.same = same
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def _spatial_axes(self) -> tuple[int, int]:
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def _source_indices(self, size: int, before: int, after: int) -> np.ndarray:
        """The input row (or column) each output row (or column) is copied from."""
        if self.mode == "reflect" and max(before, after) >= size:
            raise ValueError(
                f"reflect padding of {max(before, after)} needs an axis longer than that, got {size}"
            )
        positions = np.arange(-before, size + after)
        if self.mode == "replicate":
            return np.clip(positions, 0, size - 1)
        positions = np.abs(positions)
        return np.where(positions > size - 1, 2 * (size - 1) - positions, positions)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.padding, strict=True):
            size = shape[axis]
            if size is not None:
                self._source_indices(size, before, after)
                shape[axis] = size + before + after
        return tuple(shape)

    def call(self, inputs: Any) -> Any:
        for axis, (before, after) in zip(self._spatial_axes(), self.padding, strict=True):
            indices = self._source_indices(inputs.shape[axis], before, after)
            inputs = keras.ops.take(inputs, indices, axis=axis)
        return inputs

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(padding=self.padding, mode=self.mode, data_format=self.data_format, same=self.same)
        return config


@keras.saving.register_keras_serializable(package="cnncalc")
class LayerScale(keras.layers.Layer):  # type: ignore[misc]
    """Multiplies each value of the last axis by its own learned factor ``gamma``, started at
    ``init_values`` — ConvNeXt's layer of that name, with the same arguments (Keras Applications
    define it for ConvNeXt alone; ``keras.layers`` has none). ``projection_dim`` is the size of the
    last axis."""

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=keras.initializers.Constant(self.init_values),
            trainable=True,
            name="gamma",
        )

    def call(self, inputs: Any) -> Any:
        return inputs * self.gamma

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(init_values=self.init_values, projection_dim=self.projection_dim)
        return config
