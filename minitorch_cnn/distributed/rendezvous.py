"""Handing rank 0's bytes (NCCL's unique id) to every rank over TCP, torchrun-style (``MASTER_ADDR``/``MASTER_PORT``).

Rank 0 listens on the port and sends the payload to each of the other ranks as they connect; they retry the
connection until the timeout, since rank 0 may not be listening yet. Used where the ranks were not started by
``mpiexec`` (with it, the id travels over MPI).
"""

from __future__ import annotations

import socket
import struct
import time

from .errors import DistBackendError


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise DistBackendError("mt.distributed rendezvous: rank 0 closed the connection early")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def share_from_rank0(payload: bytes | None, rank: int, world_size: int, addr: str, port: int,
                     timeout_s: float) -> bytes:
    """Rank 0 passes ``payload``; every rank gets it back. Raises DistBackendError when the ranks do not all
    arrive within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    if rank == 0:
        assert payload is not None
        with socket.create_server((addr, port), reuse_port=False) as server:
            for served in range(world_size - 1):
                server.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    conn, _ = server.accept()
                except TimeoutError as e:
                    raise DistBackendError(
                        f"mt.distributed rendezvous at {addr}:{port}: only {served + 1} of {world_size} ranks "
                        f"joined within {timeout_s:g} s"
                    ) from e
                with conn:
                    conn.sendall(struct.pack("!Q", len(payload)) + payload)
        return payload
    while True:
        try:
            with socket.create_connection((addr, port), timeout=max(deadline - time.monotonic(), 0.001)) as conn:
                (n,) = struct.unpack("!Q", _recv_exactly(conn, 8))
                return _recv_exactly(conn, n)
        except (ConnectionRefusedError, TimeoutError, OSError) as e:
            if time.monotonic() > deadline:
                raise DistBackendError(
                    f"mt.distributed rendezvous: rank {rank} could not reach rank 0 at {addr}:{port} within "
                    f"{timeout_s:g} s"
                ) from e
            time.sleep(0.05)
