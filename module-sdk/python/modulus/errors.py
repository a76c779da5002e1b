"""Errors with the status codes every Modulus transport carries (gRPC's numbers)."""

import enum


class StatusCode(enum.IntEnum):
    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class ModulusError(Exception):
    """A failure with a status code. Raise a subclass from a module to answer with that code."""

    code = StatusCode.UNKNOWN

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = StatusCode(code)
        self.message = message

    def __str__(self):
        return f"{self.code.name}: {self.message}"


class InvalidArgument(ModulusError):
    code = StatusCode.INVALID_ARGUMENT


class NotFound(ModulusError):
    code = StatusCode.NOT_FOUND


class DeadlineExceeded(ModulusError):
    code = StatusCode.DEADLINE_EXCEEDED


class PermissionDenied(ModulusError):
    code = StatusCode.PERMISSION_DENIED


class Unauthenticated(ModulusError):
    """A signed call the host refused: forged, stale, replayed, or signed for another host or chain."""
    code = StatusCode.UNAUTHENTICATED


class ResourceExhausted(ModulusError):
    code = StatusCode.RESOURCE_EXHAUSTED


class Unavailable(ModulusError):
    code = StatusCode.UNAVAILABLE


class Internal(ModulusError):
    code = StatusCode.INTERNAL
