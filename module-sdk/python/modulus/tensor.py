"""Tensors: dtype, shape and raw little-endian data, named as in the Open Inference Protocol.

Where numpy is installed, modules receive and may return numpy arrays. Without numpy they get
:class:`Tensor`, a plain container with the same three parts.
"""

import struct
from math import prod

try:  # numpy is optional: the SDK works with the standard library alone.
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the machine
    _np = None

# Open Inference Protocol name -> (struct format, numpy dtype string)
DTYPES = {
    "BOOL": ("?", "bool"),
    "INT8": ("b", "<i1"),
    "INT16": ("h", "<i2"),
    "INT32": ("i", "<i4"),
    "INT64": ("q", "<i8"),
    "UINT8": ("B", "<u1"),
    "UINT16": ("H", "<u2"),
    "UINT32": ("I", "<u4"),
    "UINT64": ("Q", "<u8"),
    "FP16": ("e", "<f2"),
    "BF16": (None, None),
    "FP32": ("f", "<f4"),
    "FP64": ("d", "<f8"),
    "BYTES": (None, None),
}

_NUMPY_TO_OIP = {
    "bool": "BOOL", "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
    "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "float16": "FP16", "float32": "FP32", "float64": "FP64",
}


class Tensor:
    """A tensor without numpy: ``dtype`` (an OIP name), ``shape`` (a tuple) and ``data`` (bytes)."""

    __slots__ = ("dtype", "shape", "data")

    def __init__(self, dtype, shape, data):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}")
        self.dtype = dtype
        self.shape = tuple(int(d) for d in shape)
        self.data = bytes(data)

    @classmethod
    def from_list(cls, values, dtype="FP32", shape=None):
        fmt = DTYPES[dtype][0]
        if fmt is None:
            raise ValueError(f"from_list does not support {dtype}")
        values = list(values)
        return cls(dtype, shape or (len(values),), struct.pack(f"<{len(values)}{fmt}", *values))

    def tolist(self):
        """The elements as a flat list."""
        fmt = DTYPES[self.dtype][0]
        if fmt is None:
            raise ValueError(f"tolist does not support {self.dtype}")
        return list(struct.unpack(f"<{prod(self.shape)}{fmt}", self.data))

    def __eq__(self, other):
        return isinstance(other, Tensor) and (self.dtype, self.shape, self.data) == (other.dtype, other.shape, other.data)

    def __repr__(self):
        return f"Tensor({self.dtype}, shape={list(self.shape)})"


def has_numpy():
    return _np is not None


def from_wire(dtype, shape, buffer):
    """A tensor received by a module: a numpy array viewing ``buffer`` where numpy is installed."""
    shape = tuple(shape)
    if _np is not None and DTYPES[dtype][1] is not None:
        return _np.frombuffer(buffer, dtype=DTYPES[dtype][1]).reshape(shape)
    return Tensor(dtype, shape, buffer)


def is_tensor(value):
    # numpy scalars (np.float32(1.5)) are numbers, not tensors; 0-d arrays are tensors.
    return isinstance(value, Tensor) or (_np is not None and isinstance(value, _np.ndarray))


def to_wire(value):
    """(dtype name, shape tuple, contiguous little-endian buffer) of a numpy array or Tensor."""
    if isinstance(value, Tensor):
        return value.dtype, value.shape, value.data
    array = _np.asarray(value)
    name = _NUMPY_TO_OIP.get(array.dtype.name)
    if name is None:
        raise TypeError(f"a numpy array of dtype {array.dtype} cannot cross a module boundary; "
                        f"use one of {', '.join(sorted(_NUMPY_TO_OIP))}")
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    flat = _np.ascontiguousarray(array).reshape(-1)
    return name, tuple(int(d) for d in array.shape), (memoryview(flat).cast("B") if flat.size else b"")
