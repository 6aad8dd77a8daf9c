"""A griffe extension for the API reference: the ``>>>`` examples of fngrad's docstrings (plain
doctests, which tests/test_doctests.py runs) become fenced ``pycon`` code blocks, so Markdown shows
them as code instead of reading ``[...]`` in their output as links."""

from __future__ import annotations

import re
from typing import Any

import griffe

# An example at the margin: prompts, continuations and output lines up to a blank line. (An indented
# one, as under "Example::", is a Markdown code block already.)
_BLOCK = re.compile(r"(?m)^>>> .*(?:\n(?![ \t]*$).*)*")


def fence(text: str) -> str:
    """Wraps every run of doctest lines (prompts, continuations and the expected output that follows
    up to a blank line) in a ```pycon fence."""
    return _BLOCK.sub(lambda m: f"```pycon\n{m.group(0)}\n```", text)


class DoctestBlocks(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence(obj.docstring.value)
