"""The raw folder: which entries are read, how they are opened, and which of two copies is kept.

Every entry under the raw folder is listed, and what is not read gets a reason:

- hidden and system files (``.DS_Store``, ``Thumbs.db``, ``~$x.docx`` Office lock files, files
  in hidden folders);
- symbolic links, which are never followed: a link to a file outside the raw folder could
  publish anything the account can read (``/etc/passwd``), and a link to a file inside it is
  the same file, read under its own name;
- anything that is not a regular file (a FIFO, a socket, a device).

Regular files are opened with ``O_NOFOLLOW`` and checked again after opening, so a file
swapped for a link between the listing and the read is refused too; raw files are only ever
opened read-only.

Each raw file is hashed at most once a run. What hashed it (the run's inventory for its manifest,
or the ingest cache's look-up) keeps the digest with the file's :func:`identity` (device,
inode, size, modification and change times); a later read of the same file takes the digest
from there when the file it opened still has that identity, and hashes it otherwise. The
inventory leaves its digests in the processed folder (:func:`save_digests`) for the ingest
stage, which runs in a process of its own; the next run's inventory (not ``--full``) takes them
again for the files that still have that identity and had settled when they were hashed
(:func:`reusable_digests`), so a re-run reads only the files that are new or changed.

When two files hold the same submission, the one kept is the one modified first (to the
minute: copies made in the same minute, as a checkout or an unzip makes them, count as
made together), then the one whose name does not say it is a copy ("copy", "(1)",
"final"), then the first in name order; the duplicate's log row says which and why.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ..datafiles import read_stream, sha256_file
from ..errors import InputError
from ..procs import gc_paused

__all__ = ["RawEntry", "Digest", "identity", "scan_raw_folder", "list_raw_files", "read_raw_file", "raw_digest",
           "sha256_file", "display_name", "keep_order", "kept_because", "inventory", "save_digests", "load_digests",
           "reusable_digests"]

#: A file's identity when it was hashed, and its SHA-256 (hex).
Digest = tuple[tuple[int, ...], str]
DIGESTS_FILE = Path(".cache") / "raw_digests.json"  # in the processed folder (hidden, like the stage caches)

_SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r", ".ds_store"}
LINK_OUTSIDE = "symbolic link to a file outside the raw folder (not followed)"
LINK_TO_FOLDER = "symbolic link to a folder (not followed)"
BROKEN_LINK = "broken symbolic link"
NOT_REGULAR = "not a regular file"
_COPY_NAME = re.compile(r"(?<![a-z])(?:copy|final)(?![a-z])|\(\d+\)", re.IGNORECASE)


@dataclass(frozen=True)
class RawEntry:
    """One entry under the raw folder.

    Attributes
    ----------
    rel : str
        Path relative to the raw folder, POSIX separators (undecodable bytes kept as
        surrogates so the file can be opened; see :func:`display_name` for tables).
    skip : str or None
        Why it is not read, or None.
    regular : bool
        A regular file (not a link, folder or special file): only these are hashed.
    mtime : float
        Modification time (of the link itself for links).
    digest : Digest or None
        The file's identity and sha256 when it has been hashed already this run (passed along
        so the read does not hash it again), else None.
    ident : tuple of int or None
        A regular file's :func:`identity` as the scan found it (``lstat``): a digest kept with this
        identity is the file's without opening it.
    """

    rel: str
    skip: str | None
    regular: bool
    mtime: float
    digest: Digest | None = None
    ident: tuple[int, ...] | None = None


def identity(st: os.stat_result) -> tuple[int, ...]:
    """What says a file has not changed since it was hashed: device, inode, size, and the
    modification and change times in nanoseconds (the change time moves on every write)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def display_name(rel: str) -> str:
    r"""A path fit for a table: bytes that are not UTF-8 shown as ``\xNN``.

    Example
    -------
    >>> display_name("caf\udce9.txt")
    'caf\\xe9.txt'
    """
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _hidden_reason(parts: list[str]) -> str | None:
    name = parts[-1]
    if name.lower() in _SYSTEM_FILES or name.startswith("._"):
        return "hidden/system file"
    if name.startswith("~$"):
        return "hidden/system file (Office lock/temporary file)"
    if name.startswith("."):
        return "hidden/system file"
    hidden_dirs = [p for p in parts[:-1] if p.startswith(".")]
    if hidden_dirs:
        return f"hidden/system file (in hidden folder {hidden_dirs[0]})"
    return None


def _link_reason(path: Path, root: Path) -> str:
    """Why a symbolic link is not read (it never is): where it leads, without reading through it."""
    target = Path(os.path.realpath(path))
    if not target.exists():
        return BROKEN_LINK
    if target.is_dir():
        return LINK_TO_FOLDER
    try:
        inside = target.relative_to(root).as_posix()
    except ValueError:
        return LINK_OUTSIDE
    return f"symbolic link to {display_name(inside)} inside the raw folder (not followed; that file is read under its own name)"


def _entry(rel: str, path: str, root: Path) -> RawEntry:
    try:
        st = os.lstat(path)
    except OSError as exc:
        return RawEntry(rel, f"cannot read file: {exc.strerror or exc}", False, 0.0)
    if stat.S_ISLNK(st.st_mode):
        return RawEntry(rel, _link_reason(Path(path), root), False, st.st_mtime)
    hidden = _hidden_reason(rel.split("/"))
    if not stat.S_ISREG(st.st_mode):
        return RawEntry(rel, hidden or NOT_REGULAR, False, st.st_mtime)
    return RawEntry(rel, hidden, True, st.st_mtime, None, identity(st))


def scan_raw_folder(raw_dir: str | os.PathLike) -> list[RawEntry]:
    """Every entry under ``raw_dir`` (recursively, sorted by path), links never followed.

    Raises
    ------
    InputError
        ``raw_dir`` does not exist or is not a folder.
    """
    given = Path(raw_dir)
    if not given.is_dir():
        raise InputError(f"raw folder {given} does not exist or is not a folder")
    root = Path(os.path.realpath(given))  # the raw folder itself may be a link (a mounted share)
    out: list[RawEntry] = []
    # paths as strings, each folder's relative path worked out once (no Path object a file: a tenth of a
    # re-run's ingest at 10,000 files)
    for dirpath, dirnames, filenames in os.walk(str(root), followlinks=False):
        dirnames.sort()
        here = os.path.relpath(dirpath, root)
        prefix = "" if here == os.curdir else here.replace(os.sep, "/") + "/"
        for d in list(dirnames):
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                out.append(RawEntry(prefix + d, _link_reason(Path(full), root), False, 0.0))
        for f in filenames:
            out.append(_entry(prefix + f, os.path.join(dirpath, f), root))
    out.sort(key=lambda e: e.rel)
    return out


def list_raw_files(raw_dir: str | os.PathLike) -> list[tuple[str, str | None]]:
    """Every entry under ``raw_dir`` as (relative POSIX path, skip reason or None), sorted.

    Nothing is skipped silently: hidden and system files, files in hidden folders, symbolic
    links (never followed) and special files are listed with a reason.

    Raises
    ------
    InputError
        ``raw_dir`` does not exist or is not a folder.
    """
    return [(e.rel, e.skip) for e in scan_raw_folder(raw_dir)]


def _open_regular(path: Path) -> tuple[int, tuple[int, ...]]:
    """A read-only descriptor on ``path`` and the file's :func:`identity`, refusing links
    (``O_NOFOLLOW``) and special files."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, NOT_REGULAR)
    except BaseException:
        os.close(fd)
        raise
    return fd, identity(st)


def read_raw_file(path: Path, max_bytes: int, known: Digest | None = None) -> tuple[bytes | None, str, int]:
    """Read a regular file once: (its bytes, or None when larger than ``max_bytes``; sha256; size).

    The bytes are hashed as they are read, unless ``known`` (a :data:`Digest` taken earlier this
    run) has the identity of the file opened: its sha256 is that one then.

    Raises
    ------
    OSError
        The file cannot be opened (``ELOOP`` when it has become a link), or is not a regular file.
    """
    fd, ident = _open_regular(path)
    same = known is not None and known[0] == ident
    with os.fdopen(fd, "rb") as fh:
        data, sha, n = read_stream(fh, keep=max_bytes, digest=not same)
    return data, (known[1] if same else sha), n


def raw_digest(path: Path, known: Digest | None = None) -> Digest:
    """The :data:`Digest` of a regular file (links refused): ``known`` when the file still has its
    identity (nothing is read then), else the file hashed now.

    Raises
    ------
    OSError
        As for :func:`read_raw_file`.
    """
    fd, ident = _open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        if known is not None and known[0] == ident:
            return known
        return ident, read_stream(fh)[1]


@gc_paused()  # a few objects a file (its entry, identity and digest): see soa_analysis.procs.gc_paused
def inventory(raw_dir: str | os.PathLike, *, processed_dir: str | os.PathLike | None = None,
              reuse: bool = False) -> list[dict]:
    """Every regular file under ``raw_dir`` with its size and sha256, sorted (links not followed).

    With ``processed_dir``, the digests are saved there for the ingest stage (:func:`save_digests`).
    With ``reuse`` too, a file whose identity is the one the last inventory saved is not read again: its
    digest is taken from there (:func:`reusable_digests`; a re-run then reads only new and changed files).
    """
    root = Path(os.path.realpath(raw_dir))
    known = reusable_digests(processed_dir, root) if reuse and processed_dir is not None else {}
    out, digests = [], {}
    for e in scan_raw_folder(raw_dir):
        if not e.regular:
            continue
        kept = known.get(e.rel)
        if kept is not None and kept[0] == e.ident:  # the file as the scan found it (lstat): not opened
            digests[e.rel] = kept
        else:
            try:
                digests[e.rel] = raw_digest(root / e.rel, kept)
            except OSError:
                continue
        ident, sha = digests[e.rel]
        out.append({"file": display_name(e.rel), "bytes": ident[2], "sha256": sha})
    if processed_dir is not None:
        save_digests(processed_dir, root, digests)
    return out


# A digest kept by the last inventory is taken again only for a file whose modification and change times
# are at least this long before the digests were saved (the file's time then): a file written in the same
# moment as it was hashed could be written again without its times moving on a file system that keeps
# coarse times. It is hashed again instead.
SETTLED_NS = 2_000_000_000


def reusable_digests(processed_dir: str | os.PathLike, root: str | os.PathLike) -> dict[str, Digest]:
    """The digests :func:`save_digests` kept for the raw folder ``root`` (:func:`load_digests`) whose file
    had settled when they were saved (modified and changed :data:`SETTLED_NS` before): those the next
    inventory may take for a file that still has their identity."""
    try:
        saved = (Path(processed_dir) / DIGESTS_FILE).stat().st_mtime_ns
    except OSError:
        return {}
    return {rel: d for rel, d in load_digests(processed_dir, root).items()
            if len(d[0]) == 5 and max(d[0][3], d[0][4]) < saved - SETTLED_NS}


def save_digests(processed_dir: str | os.PathLike, root: Path, digests: dict[str, Digest]) -> None:
    """Keep the raw files' digests (by path under the real raw folder ``root``) in the processed folder."""
    from ..io import write_text

    data = {"root": str(root), "files": {rel: [list(ident), sha] for rel, (ident, sha) in digests.items()}}
    write_text(Path(processed_dir) / DIGESTS_FILE, json.dumps(data))


@gc_paused()
def digests_current(processed_dir: str | os.PathLike, raw_dir: str | os.PathLike) -> bool:
    """Whether the digests the last inventory kept (:func:`load_digests`) are of exactly the regular files
    under ``raw_dir`` now, each with the identity the scan finds (nothing is opened). When not, a file was
    added, changed or removed since: the next inventory, and the ingest stage's key, differ from the last.

    Raises
    ------
    InputError
        As :func:`scan_raw_folder`.
    """
    kept = load_digests(processed_dir, raw_dir)
    if not kept:
        return False
    regular = [e for e in scan_raw_folder(raw_dir) if e.regular]
    return len(regular) == len(kept) and all(e.rel in kept and kept[e.rel][0] == e.ident for e in regular)


def load_digests(processed_dir: str | os.PathLike, root: str | os.PathLike) -> dict[str, Digest]:
    """The digests :func:`save_digests` kept for the raw folder ``root`` ({} when none, or for another folder)."""
    path = Path(processed_dir) / DIGESTS_FILE
    try:
        st = os.stat(path)
        key = (str(path.resolve()), identity(st), str(Path(os.path.realpath(root))))
        if _LOADED.get("key") == key:
            return dict(_LOADED["digests"])
        with gc_paused():
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("root") != key[2]:
                return {}
            digests = {rel: (tuple(ident), sha) for rel, (ident, sha) in data["files"].items()}
        if identity(os.stat(path)) == key[1]:  # not written while it was read
            _LOADED.update(key=key, digests=digests)
        return dict(digests)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


# The digests :func:`load_digests` last read, under the identity of the file it read them from (device, inode,
# size, modification and change times: :func:`save_digests` writes a new file and renames it into place): a run
# reads them up to three times in its own process (whether the first stage may be skipped, the inventory, the
# ingest stage's key), about 0.1 s each at 10,000 files; a file written since is read again.
_LOADED: dict = {}


def _copy_penalty(rel: str) -> int:
    return 1 if _COPY_NAME.search(rel.rsplit("/", 1)[-1]) else 0


def keep_order(rel: str, mtime: float) -> tuple:
    """Sort key: the file earlier in this order is kept when two hold the same submission."""
    return (int(mtime // 60), _copy_penalty(rel), rel)


def kept_because(kept: tuple[str, float], other: tuple[str, float]) -> str:
    """Why ``kept`` (rel, mtime) was kept rather than ``other``, in words for the log.

    Example
    -------
    >>> kept_because(("a.docx", 0.0), ("a (copy).docx", 0.0))
    'kept: not named as a copy'
    """
    (k_rel, k_m), (o_rel, o_m) = kept, other
    if int(k_m // 60) != int(o_m // 60):
        return "kept: modified earlier"
    if _copy_penalty(k_rel) != _copy_penalty(o_rel):
        return "kept: not named as a copy"
    return "kept: first in name order"
