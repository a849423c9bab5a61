"""Download, md5 check and extraction for the datasets, as ``torchvision.datasets.utils``.

Downloads go to ``<name>.part`` and are renamed only once complete and md5-checked, so an interrupted or
corrupted download never leaves a file that looks finished. Every failure raises a RuntimeError that names
the file or the URL.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

_CHUNK = 1 << 20


def calculate_md5(fpath: str | Path, chunk_size: int = _CHUNK) -> str:
    """The file's md5 as a hex string."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(fpath: str | Path, md5: str | None = None) -> bool:
    """The file exists and, when ``md5`` is given, has that md5."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or calculate_md5(fpath) == md5


def download_url(url: str, root: str | Path, filename: str | None = None, md5: str | None = None,
                 timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``root/filename`` (skipped when that file is there with the right md5); returns the path.

    Raises RuntimeError when the URL cannot be read or the download's md5 differs from ``md5``.
    """
    root = Path(os.path.expanduser(root))
    fpath = root / (filename or os.path.basename(url))
    root.mkdir(parents=True, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    part = fpath.with_name(fpath.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise RuntimeError(f"could not download {url}: {exc}") from exc
    if md5 is not None:
        got = calculate_md5(part)
        if got != md5:
            part.unlink()
            raise RuntimeError(f"md5 mismatch for {fpath.name} downloaded from {url}: expected {md5}, got {got}")
    os.replace(part, fpath)
    return fpath


def _safe_members(tar: tarfile.TarFile, to_path: Path, archive: Path) -> list[tarfile.TarInfo]:
    """The archive's files and folders, refusing any that would land outside ``to_path`` or are links/devices."""
    root = to_path.resolve()
    members = []
    for m in tar.getmembers():
        target = (root / m.name).resolve()
        if not (m.isfile() or m.isdir()) or (target != root and root not in target.parents):
            raise RuntimeError(f"{archive}: refusing to extract {m.name!r} (a link, a device or a path outside)")
        members.append(m)
    return members


def _safe_zip_names(archive: zipfile.ZipFile, to_path: Path, path: Path) -> list[str]:
    """The zip's member names, refusing any that would land outside ``to_path``."""
    root = to_path.resolve()
    for name in archive.namelist():
        target = (root / name).resolve()
        if target != root and root not in target.parents:
            raise RuntimeError(f"{path}: refusing to extract {name!r} (a path outside)")
    return archive.namelist()


def extract_archive(from_path: str | Path, to_path: str | Path | None = None, remove_finished: bool = False) -> Path:
    """Unpack a ``.tar``/``.tar.gz``/``.tgz``/``.zip`` into ``to_path``, or decompress a ``.gz`` beside it.

    Returns ``to_path`` (the folder, or the decompressed file for ``.gz``). A truncated or corrupt archive
    raises RuntimeError naming it.
    """
    from_path = Path(from_path)
    to_path = Path(to_path) if to_path is not None else from_path.parent
    name = from_path.name
    try:
        if name.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(from_path, "r:*") as tar:
                members = _safe_members(tar, to_path, from_path)
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(to_path, members=members, **extra)
            result = to_path
        elif name.endswith(".zip"):
            with zipfile.ZipFile(from_path) as archive:
                archive.extractall(to_path, members=_safe_zip_names(archive, to_path, from_path))
            result = to_path
        elif name.endswith(".gz"):
            result = to_path / name[: -len(".gz")] if to_path.is_dir() else to_path
            part = result.with_name(result.name + ".part")
            try:
                with gzip.open(from_path, "rb") as src, open(part, "wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, result)
        else:
            raise RuntimeError(f"{from_path}: unknown archive type (expected .tar, .tar.gz, .tgz, .zip or .gz)")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise RuntimeError(f"{from_path}: corrupt or truncated archive ({type(exc).__name__}: {exc})") from exc
    if remove_finished:
        from_path.unlink()
    return result


def download_and_extract_archive(
    url: str,
    download_root: str | Path,
    extract_root: str | Path | None = None,
    filename: str | None = None,
    md5: str | None = None,
    remove_finished: bool = False,
) -> Path:
    """``download_url`` then ``extract_archive`` (into ``extract_root``, default ``download_root``)."""
    archive = download_url(url, download_root, filename, md5)
    return extract_archive(archive, extract_root or download_root, remove_finished)
