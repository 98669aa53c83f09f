"""A small line emitter for generated Python: blocks indent themselves, and each block
remembers which values were computed in it, so straight-line code reuses them.

Lines are kept as (depth, text) tokens and indented only when rendered, so one body can be
rendered at any depth (a kernel body is rendered inside two function definitions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

INDENT = "    "


class Emitter:
    """Lines of Python source, with the nesting of blocks and the values known in each."""

    def __init__(self) -> None:
        self._tokens: list[tuple[int, str]] = []
        self._depth = 0
        # per open block, the value names computed in it or around it (id(var) -> name); a
        # block starts from a copy of its parent's, and what it computes is forgotten when
        # it closes: a value from inside a loop is not valid after it
        self._known: list[dict[int, str]] = [{}]

    @property
    def known(self) -> dict[int, str]:
        """The values computed so far at the current place of the code: id(var) -> name."""
        return self._known[-1]

    def line(self, text: str) -> None:
        self._tokens.append((self._depth, text))

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """A region whose computed values are forgotten at its end (no indent)."""
        self._known.append(dict(self._known[-1]))
        try:
            yield
        finally:
            self._known.pop()

    @contextlib.contextmanager
    def block(self, header: str) -> Iterator[None]:
        """``header`` (a ``for``, ``if`` or ``def`` line), then an indented block."""
        self.line(header)
        self._depth += 1
        try:
            with self.scope():
                yield
        finally:
            self._depth -= 1

    @contextlib.contextmanager
    def nest(self, headers: Sequence[str]) -> Iterator[None]:
        """Blocks nested in order (a loop nest); a scope even when there are none."""
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.scope())
            for header in headers:
                stack.enter_context(self.block(header))
            yield

    def extend(self, other: Emitter) -> None:
        """Append ``other``'s lines, nested at the current depth."""
        self._tokens.extend((self._depth + d, text) for d, text in other._tokens)

    def render(self) -> list[str]:
        return [INDENT * d + text if text else "" for d, text in self._tokens]
