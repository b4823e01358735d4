"""Writing result files safely: a reader never sees half a file, and nothing but a result file is ever replaced.

Every file a command writes goes through here. A result is written to a
temporary file beside its target and renamed over it, so a crash, Ctrl-C or a
full disk leaves the old file or the new one, never half of either. The
target must be a regular file or nothing: `--out /dev/null`, a symlink, a
FIFO or a folder in its place is refused (as root, renaming over /dev/null
would destroy it). A set of tables is written as one (`write_files`): all of
them to temporary files first, then renamed together, with the file that says
the set is complete (run.json) removed first and renamed last.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from sim.errors import InputError, MachineError

Writer = Callable[[Path], None]

# What a path holds, in words, for the messages
KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)
# Errors that come from the path a person chose (exit 2) rather than from the machine (exit 1)
PATH_ERRORS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG,
               errno.ELOOP}


def kind_of(mode: int) -> str:
    return next((words for test, words in KINDS if test(mode)), "not a regular file")


def check_replaceable(path: Path) -> None:
    """Refuse, naming the path, unless it is a regular file or nothing (a symlink is not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise _error(path, error) from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is {kind_of(mode)}; expected a regular file or no file there (it is left as it is)")


def ensure_folder(folder: Path) -> None:
    """Make the folder (and its parents); refuse, naming it, if something other than a folder is in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        pass  # something else is there: told below
    except OSError as error:
        raise _error(folder, error) from None
    if not folder.is_dir():  # follows a symlink to a folder: a link a person made to put results elsewhere is fine
        raise InputError(f"{folder}: is {_kind_at(folder)}; expected a folder for the results")


def write_atomically(path: Path, write: Writer) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    write_files({path: write})


def write_files(writes: Mapping[Path, Writer], last: str | None = None) -> None:
    """Write several files as one: each to a temporary file first, then all renamed.

    If any write fails (a full disk, Ctrl-C), every temporary file is removed
    and the files already there are left as they were. `last` names the file
    whose presence says the set is complete (run.json): it is removed before
    the others are renamed and renamed after them, so a folder interrupted
    between two renames does not claim to be complete.
    """
    staged: dict[Path, Path] = {}
    target = next(iter(writes))
    try:
        for target in writes:
            ensure_folder(target.parent)
            check_replaceable(target)
        for target, write in writes.items():
            staged[target] = _stage(target, write)
        for target in writes:  # again: something may have appeared while the files were being written
            check_replaceable(target)
        others = [p for p in staged if p.name != last]
        if others and len(others) < len(staged):
            for target in staged:
                if target.name == last:
                    target.unlink(missing_ok=True)
        for target in [*others, *(p for p in staged if p.name == last)]:
            os.replace(staged[target], target)
            del staged[target]
    except OSError as error:
        raise _error(target, error) from None
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)


def _stage(path: Path, write: Writer) -> Path:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; results are for colleagues too
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _error(path: Path | str, error: OSError) -> Exception:
    """An OSError as one line naming the path: the person's path (exit 2) or the machine (exit 1)."""
    reason = error.strerror or str(error)
    if error.errno in PATH_ERRORS:
        return InputError(f"{path}: cannot be written ({reason}); expected a folder you can write to")
    return MachineError(
        f"{path}: cannot be written ({reason}); the files already there are unchanged and finished "
        "replications are kept: make room and run the same command again"
    )


def _kind_at(path: Path) -> str:
    try:
        return kind_of(os.stat(path).st_mode)
    except OSError:
        return "not a folder"


def write_tables(
    out_dir: Path, tables: Mapping[str, pd.DataFrame], parquet: bool = False,
    also: Mapping[Path, Writer] | None = None, last: str | None = None,
) -> None:
    """Write each table as out_dir/<name> (CSV), and with `parquet` also as <name stem>.parquet, as one set.

    CSV is always written (the report and every command read it); Parquet keeps
    the column types for analysts who load results into pandas, R or Power BI.
    `also` and `last` go to write_files: other files of the set (run.json) and
    the one renamed last.
    """
    writes: dict[Path, Writer] = {}
    for name, table in tables.items():
        writes[out_dir / name] = lambda tmp, table=table: table.to_csv(tmp, index=False)
        if parquet:
            writes[(out_dir / name).with_suffix(".parquet")] = lambda tmp, table=table: table.to_parquet(tmp, index=False)
    write_files({**writes, **(also or {})}, last=last)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
