"""Token events paced for the wire: a model's tokens joined into fewer events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from icc_assistant.answer import TokenEvent

_END = object()
# Tokens that follow one another within this many seconds go out as one event.
TOKEN_WINDOW = 0.04


async def joined_tokens(events: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """`events`, the first token at once and then the tokens written within each TOKEN_WINDOW
    joined into one: the reader sees the same text at the same pace, in fewer events (each
    costs a write to the socket and a pass through every middleware: some 0.1 ms a token).
    The events are read by a task of their own, cancelled with the stream."""
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def read() -> None:
        try:
            async for event in events:
                queue.put_nowait(event)
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which raises it
            queue.put_nowait(exc)
        queue.put_nowait(_END)

    def waiting() -> list[Any]:
        found = []
        while not queue.empty():
            found.append(queue.get_nowait())
        return found

    loop = asyncio.get_running_loop()
    reader = asyncio.create_task(read())
    sent = -TOKEN_WINDOW  # when tokens last went out
    try:
        while True:
            ready = [await queue.get(), *waiting()]
            wait = sent + TOKEN_WINDOW - loop.time()
            if wait > 0 and all(isinstance(event, TokenEvent) for event in ready):
                await asyncio.sleep(wait)
                ready += waiting()
            pending: list[str] = []
            for event in [*ready, None]:
                if isinstance(event, TokenEvent):
                    pending.append(event.text)
                    continue
                if pending:
                    sent = loop.time()
                    yield TokenEvent(text="".join(pending))
                    pending = []
                if event is _END:
                    return
                if isinstance(event, Exception):
                    raise event
                if event is not None:
                    yield event
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
