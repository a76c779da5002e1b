import typing

import modulus


class PyEcho(modulus.Module):
    """Returns what it is given, through the host's embedded Python."""

    @modulus.endpoint(idempotent=True)
    def forward(self, value):
        return value

    @modulus.endpoint(idempotent=True, description="Streams the value back `times` times: checks a streamed answer end to end.")
    def repeat(self, value, times: int = 3) -> typing.Iterator[typing.Any]:
        if times < 0 or times > 1_000_000:
            raise ValueError(f"times must be 0 to 1000000, not {times}")
        for _ in range(times):
            yield value
