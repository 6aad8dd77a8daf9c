"""Type stub of fngrad.utils, written by `python -m fngrad._stubgen` from the live module: do not edit."""

import builtins
from typing import Any, Iterator

from fngrad.utils import checkpoint as checkpoint
from fngrad.utils import data as data
from fngrad.utils import dlpack as dlpack
