import modulus


class PyEcho(modulus.Module):
    """Returns what it is given, through the host's embedded Python."""

    @modulus.endpoint(idempotent=True)
    def forward(self, value):
        return value
