"""The container of torch's file format: an uncompressed zip, records under one root folder, data aligned to 64.

torch (caffe2/serialize/inline_container.cc) pads each record's local header with an extra field so that the
record's bytes start on a 64-byte boundary (the reader may then map storages straight from the file). We do the
same with the standard library's zipfile: the padding goes in ``ZipInfo.extra`` under the id ``FB`` torch uses.
"""

from __future__ import annotations

import struct
import zipfile
from typing import IO

ALIGNMENT = 64
_PAD_ID = 0x4246  # b"FB" little-endian: the extra-field id torch's writer pads with


def _padded_info(name: str, offset: int) -> zipfile.ZipInfo:
    """A ZipInfo for an uncompressed record whose data will start on an ``ALIGNMENT`` boundary.

    ``offset`` is where the local header will be written; the header is 30 bytes + name + extra.
    """
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = offset + 30 + len(name.encode("utf-8")) + 4  # + the extra field's own id and size
    info.extra = struct.pack("<HH", _PAD_ID, -start % ALIGNMENT) + b"Z" * (-start % ALIGNMENT)
    return info


def write_records(f: IO[bytes], records: list[tuple[str, bytes]]) -> None:
    """Write ``records`` (name, bytes) in order as an aligned, uncompressed zip into the binary file ``f``."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in records:
            # zipfile writes the next local header where its file pointer stands
            zf.writestr(_padded_info(name, zf.fp.tell()), data)


class RecordReader:
    """Random access to the records of a torch zip file: ``read("data.pkl")`` under its root folder."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self._zf = zf
        names = zf.namelist()
        roots = {n.split("/", 1)[0] for n in names if "/" in n}
        pkl = [n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")]
        if len(pkl) != 1 or len(roots) != 1:
            raise RuntimeError(
                "not a torch checkpoint: a zip file, but without the single '<root>/data.pkl' record that "
                f"torch.save writes (records: {names[:5]}{' ...' if len(names) > 5 else ''})"
            )
        self.root = pkl[0].split("/", 1)[0]
        self._names = set(names)

    def has(self, name: str) -> bool:
        return f"{self.root}/{name}" in self._names

    def read(self, name: str) -> bytes:
        full = f"{self.root}/{name}"
        if full not in self._names:
            raise RuntimeError(f"damaged torch checkpoint: the record '{full}' that data.pkl refers to is missing")
        return self._zf.read(full)
