"""The build context: the year computed once, loaded by every chapter notebook.

The pipeline loads and calculates the data folder once and writes the result here (pickles of
the input model, the result and the narrative, and a digest of each of their fields). A chapter
notebook calls :func:`load` instead of reading and calculating the data folder itself.

While a notebook runs under the pipeline, :func:`load` records what the chapter actually reads:
every field of the model, the result and the narrative it touches (``model.keys``,
``narrative.other``, ``model.settings.billing`` ...) and every file or folder listing of the data
folder and its siblings it opens (``file:2022/model.yml``, ``dir:``). The pipeline fingerprints a
chapter by exactly those reads, so a change re-runs the chapters that read it and only those —
there is no hand-kept list of what a chapter shows. Outside the pipeline (nbval, an analyst's
Jupyter) :func:`load` computes the same objects from the data folder and records nothing.

This module is imported by every notebook kernel: keep its imports light.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

VERSION = 1  # bump when the pickled layout changes: an old context is then written anew
ENV_CONTEXT = "PRISMODELL_CONTEXT"  # the context folder the pipeline wrote
ENV_READS = "PRISMODELL_READS"  # where this notebook's reads are recorded
OBJECTS = ("model", "result", "narrative")
DIGESTS_FILE = "context.json"


class Context(NamedTuple):
    model: Any  # PriceModelInput
    result: Any  # PriceModelResult
    narrative: Any  # Narrative


# --------------------------------------------------------------------------- digests


def _feed(digest: Any, value: Any) -> None:
    """Feed a canonical byte form of ``value`` to ``digest``: equal content, equal bytes (a
    pickle is not canonical: it depends on object identity)."""
    if isinstance(value, pd.DataFrame):
        digest.update(b"frame" + repr(list(value.dtypes.astype(str).items())).encode())
        digest.update(value.to_csv(index=True).encode())
    elif isinstance(value, pd.Series):
        digest.update(b"series" + str(value.dtype).encode() + repr(value.name).encode())
        digest.update(value.to_csv(index=True).encode())
    elif _is_record(value):
        digest.update(b"dc" + type(value).__qualname__.encode())
        for f in dataclasses.fields(value):
            digest.update(f.name.encode())
            _feed(digest, getattr(value, f.name))
    elif isinstance(value, Mapping):
        digest.update(b"map%d" % len(value))
        for key, item in value.items():  # insertion order is part of the content (model order)
            _feed(digest, key)
            _feed(digest, item)
    elif isinstance(value, list | tuple):
        digest.update(b"seq%d" % len(value))
        for item in value:
            _feed(digest, item)
    elif isinstance(value, Path | dt.date | str | int | float | bool | type(None)):
        digest.update(type(value).__name__.encode() + b":" + repr(value).encode() + b";")
    else:
        digest.update(pickle.dumps(value))


def digest(value: Any) -> str:
    """A content hash of a model, result or narrative field."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


AREA_COLUMN = "service_area"  # a table with this column is also digested per service area


def _is_record(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _per_area(value: Any) -> bool:
    return isinstance(value, pd.DataFrame) and AREA_COLUMN in value.columns


def area_read(name: str, area: str) -> str:
    """The read of one service area's rows of a table field: ``model.keys[kundreskontra]``."""
    return f"{name}[{area}]"


def area_rows(frame: pd.DataFrame, area: str) -> pd.DataFrame:
    """One service area's rows, numbered from 0 (a row added to another area shifts no label
    of this one's)."""
    return frame[frame[AREA_COLUMN] == area].reset_index(drop=True)


def record_read(name: str) -> str:
    """The read of a nested record as such (``result.comparison`` there or not), beside the
    reads of its fields."""
    return f"{name}#record"


def field_digests(name: str, obj: Any) -> dict[str, str]:
    """``{"model.keys": …, "model.settings.billing": …}``: one digest per field of ``obj``; for
    a mapping field per top-level key too (a chapter that reads one setting depends on it
    alone), for a table with a ``service_area`` column per service area (a service area's
    chapter reads its own rows), and for a nested record (``result.comparison``) per field of
    its own."""
    digests = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{name}.{f.name}"
        digests[key] = digest(value)
        if isinstance(value, Mapping):
            for item_key, item in value.items():
                digests[f"{key}.{item_key}"] = digest(item)
        elif _per_area(value):
            for area in value[AREA_COLUMN].unique():
                digests[area_read(key, area)] = digest(area_rows(value, area))
        elif _is_record(value):
            digests[record_read(key)] = digest(type(value).__qualname__)
            digests.update(field_digests(key, value))
    return digests


# --------------------------------------------------------------------------- writing


def write(folder: Path, model: Any, result: Any, narrative: Any) -> dict[str, str]:
    """Write the context of one build to ``folder``; return the digest of every field."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    for name, obj in zip(OBJECTS, (model, result, narrative), strict=True):
        digests.update(field_digests(name, obj))
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        tmp = folder / f".{name}.pickle.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / f"{name}.pickle")
    meta = {"version": VERSION, "data_dir": str(Path(model.data_dir).resolve()), "digests": digests}
    (folder / DIGESTS_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True))
    return digests


# --------------------------------------------------------------------------- reading


class _Recorder:
    """The reads of this process, written to ``ENV_READS`` as soon as a new one appears (the
    kernel may be stopped without running exit handlers)."""

    def __init__(self, target: Path, watch: Path, skip: tuple[str, ...]):
        self.target = target
        self.watch = os.path.join(str(watch), "")  # with one trailing separator, also for "/"
        self.skip = tuple(os.path.join(s, "") for s in skip)
        self.reads: set[str] = set()
        self.busy = False

    def add(self, name: str) -> None:
        if name in self.reads or self.busy:
            return
        self.reads.add(name)
        self.flush()

    def flush(self) -> None:
        self.busy = True
        try:
            tmp = self.target.with_name(f".{self.target.name}.tmp")
            tmp.write_text(json.dumps(sorted(self.reads)))
            os.replace(tmp, self.target)
        finally:
            self.busy = False

    def path(self, kind: str, raw: Any) -> None:
        if isinstance(raw, int) or raw is None:
            return
        path = os.path.abspath(os.fsdecode(raw))
        # the build folder is no input, nor is its listing (it changes with every build, and a
        # chapter listing the folders beside the year sees it when it lies there)
        if not (path + os.sep).startswith(self.watch) or (path + os.sep).startswith(self.skip):
            return
        self.add(f"{kind}:{Path(os.path.relpath(path, self.watch)).as_posix()}")

    def audit(self, event: str, args: tuple) -> None:
        # every file a chapter opens in the data folder or a sibling year counts as read,
        # also when a package function reads it behind the context's back
        if event == "open":
            self.path("file", args[0])
        elif event in ("os.listdir", "os.scandir"):
            self.path("dir", args[0] if args else ".")


_RECORDER: _Recorder | None = None


class _RecordingDict(dict):
    """A mapping field (``model.settings``) that records which top-level keys are read."""

    __slots__ = ("_name",)

    def _read(self, key: Any = None) -> None:
        if _RECORDER is not None:
            _RECORDER.add(self._name if key is None else f"{self._name}.{key}")

    def __getitem__(self, key):
        self._read(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._read(key)
        return super().__contains__(key)

    def __iter__(self):
        self._read()
        return super().__iter__()

    def __reduce_ex__(self, protocol):
        self._read()
        return (dict, (dict(self),))

    def __eq__(self, other):
        self._read()
        return super().__eq__(other)

    __hash__ = None


for _method in ("keys", "values", "items", "copy", "__len__", "__repr__"):

    def _whole(self, *args, _name=_method, **kwargs):
        self._read()
        return getattr(dict, _name)(self, *args, **kwargs)

    setattr(_RecordingDict, _method, _whole)


def _rebuild(cls: type, values: dict) -> Any:
    obj = object.__new__(cls)
    for key, value in values.items():
        object.__setattr__(obj, key, value)
    return obj


_RECORDING_CLASSES: dict[tuple[type, tuple], type] = {}


def _recording_class(cls: type, reads: dict[str, str | None]) -> type:
    """A subclass of the dataclass ``cls`` that records a read of field ``f`` as ``reads[f]``
    (None: the field records its own reads – a mapping)."""
    cache_key = (cls, tuple(reads.items()))
    if cache_key in _RECORDING_CLASSES:
        return _RECORDING_CLASSES[cache_key]
    fields = tuple(reads)

    def __getattribute__(self, attr):
        # properties and methods read fields through self, so fields alone are recorded
        value = object.__getattribute__(self, attr)
        if _RECORDER is not None and reads.get(attr) is not None:
            _RECORDER.add(reads[attr])
        return value

    def __reduce_ex__(self, protocol):  # a copy or pickle is a plain object (all fields read)
        return (_rebuild, (cls, {f: getattr(self, f) for f in fields}))

    sub = type(cls.__name__, (cls,), {"__getattribute__": __getattribute__,
                                      "__reduce_ex__": __reduce_ex__,
                                      "__qualname__": cls.__qualname__,
                                      "__module__": cls.__module__})
    _RECORDING_CLASSES[cache_key] = sub
    return sub


def _prepare(obj: Any, name: str, area: str | None, record: bool) -> Any:
    """``obj`` (fresh from the context, changed in place) for a chapter: with ``area``, every
    table with a ``service_area`` column holds that area's rows only (:func:`area_rows`), also
    in nested records; with ``record``, every field read is recorded – a table of one area as
    ``name.field[area]``, a nested record as such and its fields one by one, a mapping's keys
    one by one."""
    reads: dict[str, str | None] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{name}.{f.name}"
        reads[f.name] = key
        if _is_record(value):
            object.__setattr__(obj, f.name, _prepare(value, key, area, record))
            reads[f.name] = record_read(key)
        elif area is not None and _per_area(value):
            object.__setattr__(obj, f.name, area_rows(value, area))
            reads[f.name] = area_read(key, area)
        elif record and isinstance(value, Mapping) and not isinstance(value, _RecordingDict):
            recording = _RecordingDict(value)
            recording._name = key
            object.__setattr__(obj, f.name, recording)
            reads[f.name] = None
    if record:
        object.__setattr__(obj, "__class__", _recording_class(type(obj), reads))
    return obj


def _start_recording(reads_file: Path, data_dir: Path, context_dir: Path) -> None:
    global _RECORDER
    if _RECORDER is None:
        watch = data_dir.parent  # earlier years lie beside the data folder
        _RECORDER = _Recorder(reads_file, watch, (str(context_dir.parent),))
        _RECORDER.flush()  # an empty list still says: this chapter used the context
        sys.addaudithook(_RECORDER.audit)
    elif _RECORDER.target != reads_file:
        raise RuntimeError("the context was loaded for another chapter in this kernel")


_LOADED: Context | None = None  # the context this process loaded last


def narrative_of(model: Any) -> Any:
    """The narrative loaded together with ``model`` (no second read of ``rapport/``, and in a
    chapter only ``narrative`` fields count as read), else read from the model's folder."""
    if _LOADED is not None and _LOADED.model is model:
        return _LOADED.narrative
    from .narrative import load_narrative

    return load_narrative(model.data_dir, model)


def _check_area(model: Any, service_area: str | None) -> None:
    if service_area is None:
        return
    areas = list(model.service_areas["service_area"])
    if service_area not in areas:
        raise ValueError(f"Tjänsteområdet {service_area!r} finns inte i model.yml. "
                         f"Tjänsteområden: {', '.join(areas)}")


def compute(data_dir: Path | str, service_area: str | None = None) -> Context:
    """The context of ``data_dir`` computed in this process (nbval, interactive use)."""
    from .calculation import calculate
    from .inputs import load_input
    from .narrative import load_narrative

    model = load_input(data_dir)
    _check_area(model, service_area)
    objects = (model, calculate(model), load_narrative(data_dir, model))
    if service_area is not None:
        objects = tuple(_prepare(obj, n, service_area, False)
                        for n, obj in zip(OBJECTS, objects, strict=True))
    return _remember(Context(*objects))


def _remember(loaded: Context) -> Context:
    global _LOADED
    _LOADED = loaded
    return loaded


def load(data_dir: Path | str, service_area: str | None = None) -> Context:
    """The model, result and narrative of ``data_dir`` for a chapter notebook: from the build
    context when the pipeline runs the notebook (the reads recorded), else computed here.

    A service area's chapter passes ``service_area`` and gets that area's rows of every table
    with a ``service_area`` column: it depends on them alone, so a weight of another area does
    not run it again. (Its tables, texts and figures are the same as from the whole year: a
    test runs the chapter both ways.)"""
    folder = os.environ.get(ENV_CONTEXT)
    if not folder:
        return compute(data_dir, service_area)
    folder_path = Path(folder)
    meta = json.loads((folder_path / DIGESTS_FILE).read_text())
    data_dir = Path(data_dir).resolve()
    if meta["version"] != VERSION or meta["data_dir"] != str(data_dir):
        raise RuntimeError(f"byggkontexten i {folder} hör inte till datamappen {data_dir}")
    objects = [pickle.loads((folder_path / f"{n}.pickle").read_bytes()) for n in OBJECTS]
    _check_area(objects[0], service_area)  # before recording: an unknown area reads nothing
    reads = os.environ.get(ENV_READS)
    if reads:
        _start_recording(Path(reads), data_dir, folder_path)
    if reads or service_area is not None:
        objects = [_prepare(obj, name, service_area, bool(reads))
                   for name, obj in zip(OBJECTS, objects, strict=True)]
    return _remember(Context(*objects))


# --------------------------------------------------------------------------- checking


def current_digest(read: str, digests: Mapping[str, str], watch: Path) -> str:
    """The digest a recorded read has now (``missing`` when the field or file is gone)."""
    if read.startswith("file:"):
        path = watch / read.removeprefix("file:")
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    if read.startswith("dir:"):
        path = watch / read.removeprefix("dir:")
        if not path.is_dir():
            return "missing"
        return hashlib.sha256("\0".join(sorted(os.listdir(path))).encode()).hexdigest()
    return digests.get(read, "missing")


def read_digests(
    reads_file: Path, digests: Mapping[str, str], watch: Path
) -> dict[str, str] | None:
    """The digests now of every read a chapter recorded; None when it recorded nothing (it did
    not use :func:`load`, so nothing it shows can be told apart: it always re-runs)."""
    if not reads_file.is_file():
        return None
    reads = json.loads(reads_file.read_text())
    return {read: current_digest(read, digests, watch) for read in reads}
