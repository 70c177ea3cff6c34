"""Job functions for the pool tests: module-level, so worker processes can import them."""

import os
import time


def echo(ctx, value):
    return value, os.getpid()


def wait_for_go(ctx, timeout: float = 60.0):
    """Hold a worker until the command "go" arrives (or a cancel, which raises in ctx.commands())."""
    deadline = time.monotonic() + timeout
    ctx.emit("waiting")
    while time.monotonic() < deadline:
        if "go" in ctx.commands():
            return os.getpid()
        time.sleep(0.01)
    raise TimeoutError("no 'go' command arrived")


def fail(ctx, message: str):
    raise ValueError(message)
