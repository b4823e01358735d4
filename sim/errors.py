"""Errors the command line turns into exit statuses, and how values are shown in their messages."""

import reprlib
from typing import Any

_SHOWN = reprlib.Repr()
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlevel = 60, 60, 3
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = _SHOWN.maxset = 6


def shown(value: Any, limit: int = 60) -> str:
    """A value as Python shows it, cut to `limit` characters without rendering all of it first.

    A YAML alias bomb is a few lines that expand to gigabytes: repr() of it
    would exhaust memory before the message could be cut.
    """
    return cut(_SHOWN.repr(value), limit)


def cut(text: str, limit: int = 200) -> str:
    """Text cut to `limit` characters, marked with ... where cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(Exception):
    """Bad input from a person: a scenario, option or file. Exit status 2.

    The message already names the file, the key path, the value and what was
    expected; it is shown as it is, without a traceback.
    """


class ConservationError(AssertionError):
    """The model lost or invented a patient: a bug, never bad input."""


class MachineError(Exception):
    """The machine let the work down: a full disk, a lost dask cluster, a worker process killed. Exit status 1.

    The message names the file or the cluster and says what was kept; it is shown without a traceback.
    """


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM: the work stopped, finished replications kept. Exit status 128 + the signal.

    The message says what was kept and how to carry on.
    """

    def __init__(self, message: str = "", signal_number: int = 2) -> None:
        super().__init__(message)
        self.signal_number = signal_number
