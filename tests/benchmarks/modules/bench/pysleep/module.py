import time

import modulus


class PySleep(modulus.Module):
    """Blocks its thread for the given seconds, then answers."""

    def forward(self, seconds: float) -> float:
        time.sleep(seconds)
        return seconds
