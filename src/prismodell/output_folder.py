"""Output folders that are replaced as a unit, never mixed, never someone else's.

Every command that writes an output folder goes through :func:`output_folder`:

* the folder is checked first: never the filesystem root, a home folder, the data folder, a
  folder inside the data folder or one that holds it, and never an existing non-empty folder
  without this tool's marker file (we only ever delete what we wrote);
* a lock file beside the folder (``fcntl.flock``) makes concurrent runs wait for each other;
* the new set is written into a staging folder beside the target and swapped in whole: on Linux
  with one atomic ``renameat2(RENAME_EXCHANGE)``, elsewhere with two renames (old → trash, new →
  target) that roll back on failure. The old set is then deleted. Files of an earlier run that
  this run does not write cannot survive beside the new set;
* staging and trash folders left by a killed run are removed by the next run (a trash folder
  with no target is the complete old set: it is put back first).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import pwd
import secrets
import shutil
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .inputs import InputError, Problem

MARKER = ".prismodell-output"
MARKER_TEXT = (
    "Den här mappen skrivs av prismodell och ersätts i sin helhet vid nästa körning.\n"
    "Lägg inga egna filer här: de tas bort.\n"
)
_STAGING = "staging"
_TRASH = "trash"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _home_folders() -> set[Path]:
    homes = {Path.home().resolve()}
    try:
        homes |= {Path(entry.pw_dir).resolve() for entry in pwd.getpwall() if entry.pw_dir}
    except OSError:  # no user database (containers): the current home is still refused
        pass
    return homes


def output_folder_problem(out: Path, data_dir: Path | None = None) -> Problem | None:
    """Why ``out`` must not be written as an output folder (Swedish), or None."""
    if Path(out).is_symlink():  # a swap would replace the link, not the folder it names
        return Problem(
            str(out), "är en symbolisk länk. Ange mappen den pekar på med --out i stället."
        )
    out = Path(out).resolve()
    where = str(out)
    if out.parent == out:
        return Problem(where, "utdatamappen får inte vara filsystemets rot. Ange en egen mapp.")
    if out in _home_folders():
        return Problem(
            where, "utdatamappen får inte vara en hemmapp. Ange en egen mapp, t.ex. out/2023."
        )
    if data_dir is not None:
        data = Path(data_dir).resolve()
        if data == out:
            return Problem(
                where,
                "utdatamappen får inte vara samma som datamappen (indata ska aldrig skrivas "
                "över). Ange en annan mapp med --out.",
            )
        if data in out.parents:
            return Problem(
                where,
                "utdatamappen får inte ligga i datamappen (filer där räknas som indata, och "
                "indata ska aldrig skrivas över). Ange en mapp utanför datamappen med --out.",
            )
        if out in data.parents:
            return Problem(
                where,
                "utdatamappen innehåller datamappen och skulle ersättas i sin helhet. "
                "Ange en mapp utanför datamappen med --out.",
            )
    if out.exists() and not out.is_dir():
        return Problem(where, "finns redan och är ingen mapp. Ange en mapp med --out.")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        return Problem(
            where,
            "mappen finns redan, är inte tom och har inte skrivits av prismodell. Den skrivs "
            "aldrig över: ange en ny eller tom mapp med --out, eller flytta filerna själv.",
        )
    return None


def check_output_folder(out: Path, data_dir: Path | None = None) -> None:
    """Raise InputError if ``out`` must not be written (see :func:`output_folder_problem`)."""
    problem = output_folder_problem(out, data_dir)
    if problem is not None:
        raise InputError([problem])


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where the system cannot."""
    renameat2 = getattr(_libc(), "renameat2", None) if sys.platform == "linux" else None
    if renameat2 is None:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM):  # filesystem without exchange
        return False
    raise OSError(code, os.strerror(code), str(b))


_LIBC: list = []


def _libc():
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _swap_in(staging: Path, out: Path) -> None:
    """Put the complete folder ``staging`` at ``out``; the old set is deleted afterwards."""
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging)  # now the old set
        return
    trash = _sibling(out, _TRASH)
    os.rename(out, trash)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(trash, out)
        raise
    shutil.rmtree(trash)


def _sibling(out: Path, kind: str) -> Path:
    return out.parent / f".{out.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _leftovers(out: Path, kind: str) -> list[Path]:
    prefix = f".{out.name}.{kind}-"
    found = [p for p in out.parent.iterdir() if p.name.startswith(prefix) and p.is_dir()]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _clean_leftovers(out: Path) -> None:
    """Remove what killed runs left beside ``out`` (called with the lock held)."""
    trash = _leftovers(out, _TRASH)
    if trash and not out.exists():
        # Killed between the two renames: the newest trash folder is the complete old set.
        os.rename(trash.pop(), out)
    for path in trash + _leftovers(out, _STAGING):
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Väntar: en annan körning skriver till {out} …", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def output_folder(
    out: Path, data_dir: Path | None = None, *, replace: bool = True
) -> Iterator[Path]:
    """Write an output folder as a unit: yield a staging folder to fill, swap it in on success.

    On any exception the staging folder is deleted and ``out`` keeps its complete old set.
    With ``replace=False`` (a build folder that is updated incrementally) the checked, locked
    and marked folder itself is yielded instead.
    """
    out = Path(out).absolute()
    check_output_folder(out, data_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out):
        _clean_leftovers(out)
        check_output_folder(out, data_dir)  # another run may have changed it while we waited
        if not replace:
            created = not out.exists()
            out.mkdir(exist_ok=True)
            (out / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
            try:
                yield out
            except BaseException:
                if created and [p.name for p in out.iterdir()] == [MARKER]:
                    shutil.rmtree(out)  # nothing was written: leave no empty folder behind
                raise
            return
        staging = _sibling(out, _STAGING)
        staging.mkdir()  # not mkdtemp: the published folder gets the usual permissions
        try:
            yield staging
            (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
            _swap_in(staging, out)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------- single files

WORKBOOK_CREATOR = "prismodell"  # docProps/core.xml of every workbook this tool writes


def written_by_us(path: Path) -> bool:
    """Whether the workbook at ``path`` names this tool as its creator."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f"<dc:creator>{WORKBOOK_CREATOR}</dc:creator>" in core


def output_file_problem(path: Path, data_dir: Path | None = None) -> Problem | None:
    """Why the workbook ``path`` must not be (over)written (Swedish), or None."""
    path = Path(path).resolve()
    if data_dir is not None and Path(data_dir).resolve() in path.parents:
        return Problem(
            str(path),
            "filen får inte ligga i datamappen (indata ska aldrig skrivas över). "
            "Ange en fil utanför datamappen med --out.",
        )
    if path.is_dir():
        return Problem(str(path), "är en mapp. Ange en fil som slutar på .xlsx med --out.")
    if path.exists() and not written_by_us(path):
        return Problem(
            str(path),
            "filen finns redan och har inte skrivits av prismodell. Den skrivs aldrig över: "
            "ange ett annat filnamn med --out.",
        )
    return None


def _clean_dead_files(path: Path) -> None:
    """Remove temporary files beside ``path`` left by killed runs (their process is gone)."""
    prefix = f".{path.name}.{_STAGING}-"
    for leftover in path.parent.iterdir():
        if not leftover.name.startswith(prefix) or not leftover.is_file():
            continue
        pid = leftover.name[len(prefix) :].split("-")[0]
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except (ValueError, PermissionError):  # not our name, or another user's live run
            continue


@contextmanager
def output_file(path: Path, data_dir: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    One file needs no lock: each run's rename is atomic, so ``path`` always holds one run's
    complete file.
    """
    path = Path(path).absolute()
    problem = output_file_problem(path, data_dir)
    if problem is not None:
        raise InputError([problem])
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_dead_files(path)
    temporary = _sibling(path, _STAGING)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def build_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` (seconds, UTC) when set: the one thing in the outputs
    that is not made from the inputs (a page's build time, a workbook's creation date), fixed
    the way reproducible builds fix it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now()
