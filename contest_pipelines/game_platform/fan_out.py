"""One game-platform call per competitor, several in flight at once, answers handed back in order."""

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from contest_pipelines.clients.game_platform import GamePlatformClient, GamePlatformError

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def calls_in_flight(
    client: GamePlatformClient, items: Sequence[T], call: Callable[[T], R]
) -> Iterator[Iterator[tuple[T, R | GamePlatformError]]]:
    """`call(item)` for every item on `client.max_concurrency` threads (the client paces them), yielding
    `(item, answer or that item's GamePlatformError)` in the items' order.

    The caller decides and writes in its own thread, each competitor in its own transaction as the
    answers come, while the next calls are in flight: the database sees one writer and a failed call
    fails only its own item. Any other exception is a defect: it ends the pass, and the calls not yet
    started are cancelled on the way out."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(client.max_concurrency, len(items))), thread_name_prefix="gp")
    try:
        futures = [pool.submit(_answer, call, item) for item in items]
        yield ((item, future.result()) for item, future in zip(items, futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _answer(call: Callable[[T], R], item: T) -> R | GamePlatformError:
    try:
        return call(item)
    except GamePlatformError as exc:
        return exc
