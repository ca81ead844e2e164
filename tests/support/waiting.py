"""Waiting for something that happens in another process, task or thread.

`eventually` polls until a check holds and raises when it does not in time, so a test never goes
on (or passes) on a state it only hoped for. `consistently` is the opposite, for the few checks
that something must NOT happen for a short while (a second delivery, a stolen job).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

Check = Callable[[], Any]  # a function or a coroutine function, called with no arguments


async def _run(check: Check) -> Any:
    result = check()
    return await result if inspect.isawaitable(result) else result


async def eventually(check: Check, *, timeout: float = 10.0, interval: float = 0.05, message: str = "") -> Any:
    """Poll `check` until it returns something truthy, and return that.

    A falsy result or an AssertionError means "not yet"; any other exception propagates at once (a
    process that died will not come back). After `timeout` seconds this raises an AssertionError
    naming `message` and the last result.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        # a check that hangs (a read from a server that never answers) fails like one that never holds
        bound = asyncio.timeout_at(max(deadline, loop.time() + interval))
        try:
            async with bound:
                result = await _run(check)
            failure = None
        except AssertionError as exc:
            result, failure = None, exc
        except TimeoutError as exc:
            if not bound.expired():
                raise
            raise AssertionError(f"{message or 'condition'}: the check did not return within {timeout} s") from exc
        if result and failure is None:
            return result
        if loop.time() >= deadline:
            last = f"{type(failure).__name__}: {failure}" if failure else repr(result)
            raise AssertionError(f"{message or 'condition'} not met within {timeout} s (last: {last})") from failure
        await asyncio.sleep(interval)


async def consistently(check: Check, *, duration: float, interval: float = 0.05, message: str = "") -> None:
    """`check` holds on every poll for `duration` seconds: keep these short and say what must not happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration
    while True:
        result = await _run(check)
        assert result, f"{message or 'condition'} stopped holding (got {result!r})"
        if loop.time() >= deadline:
            return
        await asyncio.sleep(interval)
