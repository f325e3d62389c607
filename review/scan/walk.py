"""What a scan reviews: files under the given roots, and the members of the .zip archives among them.

Every item gets a display path (relative to its root, zip members as `archive.zip!/inner/path`) and
is hashed in the scanning process (`hashed`), so that duplicates are known before any review runs and
the ledger can key an item by path + size + mtime + sha256.

Archives are opened with limits: too many members, an implausible inflated size or compression ratio,
nesting deeper than `max_depth`, or an encrypted member give an error item, never an extraction. Member
names are only ever used as labels — nothing is written to a path taken from an archive, so `../`
names (path traversal) cannot escape.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from review import errors
from review.config import ScanConfig

ZIP_SEPARATOR = "!/"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Item:
    """One thing to review: a file on disk, or a member of a zip (possibly inside another zip)."""

    path: str  # display path: relative to its root; zip members as archive.zip!/member
    source: str  # the file on disk (for zip members: the outermost archive)
    members: tuple[str, ...] = ()  # the chain of member names inside `source`
    size: int = 0
    mtime: float = 0.0
    sha256: str = ""
    error: str | None = None  # set when the item cannot even be listed or hashed
    error_code: str | None = None
    suffix: str = field(default="", compare=False)  # the name's extension, kept for extraction

    @property
    def is_member(self) -> bool:
        return bool(self.members)


def display_root_names(roots: list[str]) -> dict[str, str]:
    """Display prefix per root: none for one root, the root's own name when several are scanned."""
    if len(roots) == 1:
        return {roots[0]: ""}
    names = {}
    for root in roots:
        name = os.path.basename(os.path.normpath(root)) or root.strip("/")
        while name in names.values():
            name += "_"
        names[root] = name
    return names


def walk(roots: list[str], config: ScanConfig, max_depth: int = 2, skip: str | None = None) -> Iterator[Item]:
    """Every reviewable item under `roots`, in a stable order (sorted names, hidden entries skipped).
    `skip` is a folder not to enter: the scan's own output folder when it lies inside a root."""
    prefixes = display_root_names(roots)
    skipped = os.path.realpath(skip) if skip else None
    for root in roots:
        prefix = prefixes[root]
        if os.path.isfile(root):
            shown = os.path.join(prefix, os.path.basename(root)) if prefix else os.path.basename(root)
            yield from _file_items(root, shown, config, max_depth)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and os.path.realpath(os.path.join(folder, d)) != skipped)
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                shown = os.path.relpath(path, root)
                if prefix:
                    shown = os.path.join(prefix, shown)
                yield from _file_items(path, shown, config, max_depth)


def _file_items(path: str, shown: str, config: ScanConfig, max_depth: int) -> Iterator[Item]:
    try:
        info = os.stat(path)
    except OSError as exc:
        yield Item(path=shown, source=path, error=f"cannot read the file ({exc.strerror})",
                   error_code=errors.NOT_FOUND)
        return
    if not stat.S_ISREG(info.st_mode):
        return  # sockets, fifos, devices: not documents
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".zip":
        yield from _archive_items(path, shown, info, config, max_depth)
        return
    # hashed later (`hashed`), only when the ledger does not already know this path, size and mtime
    yield Item(path=shown, source=path, size=info.st_size, mtime=info.st_mtime, suffix=suffix)


def _archive_items(path: str, shown: str, info: os.stat_result, config: ScanConfig,
                   max_depth: int) -> Iterator[Item]:
    try:
        with open(path, "rb") as handle:
            archive = zipfile.ZipFile(handle)
            yield from _members(archive, path, shown, (), info.st_size, info.st_mtime, config, max_depth)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Item(path=shown, source=path, size=info.st_size, mtime=info.st_mtime,
                   error=f"the zip archive cannot be opened ({type(exc).__name__})", error_code=errors.CORRUPT)


def _members(archive: zipfile.ZipFile, source: str, shown: str, chain: tuple[str, ...], size: int,
             mtime: float, config: ScanConfig, depth_left: int) -> Iterator[Item]:
    def archive_error(message: str, code: str) -> Item:
        return Item(path=shown, source=source, members=chain, size=size, mtime=mtime, error=message,
                    error_code=code)

    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > config.max_zip_members:
        yield archive_error(f"the archive has {len(infos)} members (limit {config.max_zip_members})",
                            errors.ZIP_BOMB)
        return
    total = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if total > config.max_unzip_bytes or (total > 10_000_000 and total / compressed > config.max_unzip_ratio):
        yield archive_error(f"the archive would inflate to {total} bytes from {compressed}: possible zip bomb",
                            errors.ZIP_BOMB)
        return
    for member in sorted(infos, key=lambda i: i.filename):
        name = member.filename
        base = name.rsplit("/", 1)[-1]
        if not base or base.startswith(".") or name.startswith("__MACOSX/"):
            continue
        member_shown = f"{shown}{ZIP_SEPARATOR}{name}"
        member_chain = chain + (name,)
        suffix = os.path.splitext(base)[1].lower()
        if member.flag_bits & 0x1:
            yield Item(path=member_shown, source=source, members=member_chain, size=member.file_size,
                       mtime=mtime, error="the archive member is encrypted (password-protected)",
                       error_code=errors.ENCRYPTED)
            continue
        if member.file_size > config.max_file_bytes:
            yield Item(path=member_shown, source=source, members=member_chain, size=member.file_size,
                       mtime=mtime, error=f"the member is {member.file_size / 1e6:.1f} MB, above the "
                       f"{config.max_file_bytes / 1e6:.0f} MB limit", error_code=errors.TOO_LARGE)
            continue
        try:
            data = read_member_bytes(archive, name, config.max_file_bytes)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            yield Item(path=member_shown, source=source, members=member_chain, size=member.file_size,
                       mtime=mtime, error=f"the archive member cannot be read ({type(exc).__name__})",
                       error_code=errors.CORRUPT)
            continue
        if suffix == ".zip":
            if depth_left <= 1:
                yield Item(path=member_shown, source=source, members=member_chain, size=len(data), mtime=mtime,
                           error="zip archives nested too deeply: not opened", error_code=errors.ZIP_BOMB)
                continue
            try:
                inner = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile:
                yield Item(path=member_shown, source=source, members=member_chain, size=len(data), mtime=mtime,
                           error="the inner zip archive cannot be opened", error_code=errors.CORRUPT)
                continue
            yield from _members(inner, source, member_shown, member_chain, len(data), mtime, config, depth_left - 1)
            continue
        yield Item(path=member_shown, source=source, members=member_chain, size=len(data), mtime=mtime,
                   sha256=hashlib.sha256(data).hexdigest(), suffix=suffix)


def read_member_bytes(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, never more than `limit` (zipfile stops at the declared size; this stops a lie)."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError("member larger than declared limit")
    return data


def read_item_bytes(item: Item, limit: int) -> bytes:
    """The bytes of a zip member, following the chain of nested archives from the file on disk."""
    with open(item.source, "rb") as handle:
        archive = zipfile.ZipFile(handle)
        for depth, name in enumerate(item.members):
            data = read_member_bytes(archive, name, limit)
            if depth == len(item.members) - 1:
                return data
            archive = zipfile.ZipFile(io.BytesIO(data))
    raise ValueError("not an archive member")


def hashed(item: Item) -> Item:
    """The item with its sha256 (files on disk are hashed on demand; members were hashed when listed)."""
    if item.sha256 or item.error:
        return item
    digest = hashlib.sha256()
    try:
        with open(item.source, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        return replace(item, error=f"cannot read the file ({exc.strerror})", error_code=errors.NOT_FOUND)
    return replace(item, sha256=digest.hexdigest())
