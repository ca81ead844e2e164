"""Every model version kept side by side, and one pointer to the one in use.

Layout (``pointer`` is the configured model directory, ``var/models/current`` by default)::

    var/models/versions/<version>/   model.joblib + metadata.json, never changed once written
    var/models/current -> versions/<version>

Processes load the pointer through ``ModelHandle``, which resolves it before reading, so switching
the symlink with one ``os.replace`` (atomic on POSIX) moves every process to another version
without a restart, and a process never reads half of one version and half of another. A pointer
that is still a plain directory (a model trained in place, as before versions existed) is moved
into ``versions/`` the first time the pointer is switched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from classifier.artifact import METADATA_FILE, ModelNotFound, needs_training, read_metadata

VERSIONS_DIR = "versions"
_STAGING_PREFIX = ".staging-"


class UnknownVersion(LookupError):
    """No usable model of that version in the store."""


class ModelStore:
    def __init__(self, pointer: Path | str):
        self.pointer = Path(pointer)
        self.versions = self.pointer.parent / VERSIONS_DIR

    def current_version(self) -> str | None:
        """The version the pointer leads to; None while there is no model at all."""
        try:
            version = read_metadata(self.pointer).get("version")
        except (ModelNotFound, ValueError):
            return None
        return str(version) if version else None

    def path(self, version: str) -> Path:
        if not version or "/" in version or version.startswith("."):
            raise UnknownVersion(version)
        return self.versions / version

    def has(self, version: str) -> bool:
        try:
            return not needs_training(self.path(version))
        except UnknownVersion:
            return False

    def staging(self) -> Path:
        """A fresh directory to train a model into; `add` files it under its version."""
        self.versions.mkdir(parents=True, exist_ok=True)
        path = self.versions / f"{_STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        return path

    def add(self, staged: Path) -> str:
        """Move a model trained into `staged` to versions/<its version>; returns the version."""
        version = str(read_metadata(staged)["version"])
        target = self.path(version)
        if target.exists():  # the same data trained in the same second: keep the first one
            shutil.rmtree(staged, ignore_errors=True)
        else:
            staged.rename(target)
        return version

    def discard(self, staged: Path) -> None:
        shutil.rmtree(staged, ignore_errors=True)

    def adopt(self) -> str | None:
        """Move a model trained in place at the pointer into versions/ and point at it there."""
        if self.pointer.is_symlink() or not self.pointer.is_dir():
            return self.current_version()
        version = self.current_version()
        if version is None:  # an empty directory made by hand: the symlink takes its place
            with contextlib.suppress(OSError):
                self.pointer.rmdir()
            return None
        target = self.path(version)
        self.versions.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # another process may have moved it first
            if target.exists():
                shutil.rmtree(self.pointer)
            else:
                self.pointer.rename(target)
        self._point_at(version)
        return version

    def switch(self, version: str) -> None:
        """Point every process at `version` (one atomic rename of the symlink)."""
        if not self.has(version):
            raise UnknownVersion(version)
        self.adopt()
        self._point_at(version)

    def _point_at(self, version: str) -> None:
        link = self.pointer.parent / f".{self.pointer.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        link.symlink_to(Path(VERSIONS_DIR) / version, target_is_directory=True)
        os.replace(link, self.pointer)

    def stored(self) -> list[str]:
        """Versions on disk, oldest first by name (the version starts with its training time)."""
        if not self.versions.is_dir():
            return []
        return sorted(
            p.name for p in self.versions.iterdir() if not p.name.startswith(".") and (p / METADATA_FILE).exists()
        )
