"""The one exception the stack raises for problems a user can fix (shown as a single line)."""

from __future__ import annotations


class StackError(Exception):
    """A port in use, a missing program, a second `up`, a process that would not start...

    The message is complete on one line: the CLI prints it as is, without a traceback.
    """
