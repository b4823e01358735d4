"""Errors the command line turns into exit statuses."""


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
