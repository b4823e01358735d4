"""Errors the command line turns into exit statuses."""


class InputError(Exception):
    """Bad input from a person: a scenario, option or file. Exit status 2.

    The message already names the file, the key path, the value and what was
    expected; it is shown as it is, without a traceback.
    """


class ConservationError(AssertionError):
    """The model lost or invented a patient: a bug, never bad input."""
