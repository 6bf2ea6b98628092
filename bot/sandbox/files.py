"""Files the sandbox holds: uploads from the bot and documents sent by simulated users."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

UPLOAD_LIMIT = 50 * 1024 * 1024  # what a bot may upload through the Bot API
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what getFile hands out
PHOTO_LIMIT = 10 * 1024 * 1024


@dataclass
class StoredFile:
    """One file known to the sandbox. ``file_size`` may be faked larger than the bytes."""

    file_id: str
    file_unique_id: str
    kind: str  # "document" or "photo"
    file_name: str | None
    mime_type: str | None
    file_size: int
    file_path: str
    width: int = 0
    height: int = 0
    _data: bytes | None = field(default=None, repr=False)
    _disk_path: Path | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        """The file's bytes (read back from ``data_dir`` when the server keeps files on disk)."""
        if self._data is not None:
            return self._data
        assert self._disk_path is not None
        return self._disk_path.read_bytes()

    def document_api(self) -> dict[str, object]:
        out: dict[str, object] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name is not None:
            out["file_name"] = self.file_name
        if self.mime_type is not None:
            out["mime_type"] = self.mime_type
        return out

    def photo_api(self) -> list[dict[str, object]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.file_size,
                "width": self.width,
                "height": self.height,
            }
        ]

    def file_api(self) -> dict[str, object]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


class FileStore:
    """All files of one server, addressable by file_id and by download path."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._data_dir = data_dir
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        data: bytes,
        *,
        kind: str,
        file_name: str | None,
        mime_type: str | None,
        file_size: int | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        self._counter += 1
        n = self._counter
        # Opaque-looking ids, like Telegram's, but deterministic for reproducible tests.
        file_id = base64.urlsafe_b64encode(f"sandbox-{kind}-{n:08d}".encode()).decode().rstrip("=")
        unique = hashlib.sha256(data).hexdigest()[:12] + f"{n:x}"
        suffix = Path(file_name).suffix if file_name else (".jpg" if kind == "photo" else "")
        folder = "photos" if kind == "photo" else "documents"
        file_path = f"{folder}/file_{n}{suffix}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            file_size=file_size if file_size is not None else len(data),
            file_path=file_path,
            width=width,
            height=height,
        )
        if self._data_dir is not None:
            disk = self._data_dir / f"file_{n}"
            disk.parent.mkdir(parents=True, exist_ok=True)
            disk.write_bytes(data)
            stored._disk_path = disk
        else:
            stored._data = data
        self._by_id[file_id] = stored
        self._by_path[file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def __len__(self) -> int:
        return len(self._by_id)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF or WebP image; None if not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + length
    return None
