"""Tensor moments with numpy (Debian's python3-numpy)."""

from typing import Optional

import numpy as np

import modulus


class Moments(modulus.Module):
    """Summary statistics of a tensor, overall or along one axis."""

    @modulus.endpoint(idempotent=True)
    def forward(self, x: np.ndarray, axis: Optional[int] = None) -> dict:
        x = self._checked(x, axis)
        values = x.astype(np.float64)
        stats = {
            "mean": values.mean(axis=axis),
            "std": values.std(axis=axis),
            "min": values.min(axis=axis),
            "max": values.max(axis=axis),
        }
        # A whole-tensor statistic is a number; along an axis it is a tensor.
        return {k: float(v) if axis is None else v for k, v in stats.items()}

    @modulus.endpoint(description="(x - mean) / std along an axis (all elements when none), as FP32.", idempotent=True)
    def standardize(self, x: np.ndarray, axis: Optional[int] = None) -> np.ndarray:
        x = self._checked(x, axis).astype(np.float64)
        std = x.std(axis=axis, keepdims=True)
        std[std == 0] = 1.0
        return ((x - x.mean(axis=axis, keepdims=True)) / std).astype(np.float32)

    @staticmethod
    def _checked(x, axis):
        if x.size == 0:
            raise modulus.InvalidArgument("x is empty; moments need at least one element")
        if axis is not None and not -x.ndim <= axis < x.ndim:
            raise modulus.InvalidArgument(f"axis {axis} is out of range for a tensor of shape {list(x.shape)}")
        if x.dtype == np.bool_:
            raise modulus.InvalidArgument("x must be numeric, not BOOL")
        return x
