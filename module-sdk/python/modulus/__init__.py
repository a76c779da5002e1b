"""Modulus: write a module in Python, serve it with the Modulus host, call it by name.

A module is a class deriving from :class:`Module`. Its endpoints are the method ``forward``
and every method marked with :func:`endpoint`. Parameter and return type hints are the
module's schema, served by ``info``::

    import modulus

    class Echo(modulus.Module):
        def forward(self, text: str) -> str:
            return text

        @modulus.endpoint
        def shout(self, text: str, times: int = 1) -> str:
            return (text.upper() + " ") * times

Values crossing the boundary: None, bool, int, float, str, bytes, list, dict (str keys) and
tensors: a numpy array where numpy is installed, otherwise a :class:`Tensor`.
"""

from .errors import (
    ModulusError,
    InvalidArgument,
    NotFound,
    DeadlineExceeded,
    PermissionDenied,
    Unauthenticated,
    ResourceExhausted,
    Unavailable,
    Internal,
    StatusCode,
)
from .module import Module, endpoint, endpoints_of
from .tensor import Tensor, DTYPES
from . import client

__all__ = [
    "client",
    "Module",
    "endpoint",
    "endpoints_of",
    "Tensor",
    "DTYPES",
    "ModulusError",
    "InvalidArgument",
    "NotFound",
    "DeadlineExceeded",
    "PermissionDenied",
    "Unauthenticated",
    "ResourceExhausted",
    "Unavailable",
    "Internal",
    "StatusCode",
]

__version__ = "0.1.0"
