"""Which ids may name files and partitions, and which object keys a bucket may be asked for.

Play ids and game ids come from the plays table, which anyone holding its key can write:
they are untrusted input. Both end up in object keys (``games/{game_id}/clips/{play_id}_{angle}.mp4``)
and game ids are partition keys, so ``../../B/clips/p`` would name another game's clip,
``B/clips`` + ``p`` and ``B`` + ``clips/p`` would name one object, ``a...b`` reads as a range
in Dagster's UI, and 300 characters exceed a file name. Only *safe tokens* pass
(:func:`id_problem`); the storage layer checks every key again (:func:`object_key_problem`).
"""

from __future__ import annotations

import re
import string
from typing import Any

#: The longest id accepted: far above a UUID (36), far below a file name's 255 bytes once the
#: clip's ``_broadcast.mp4`` and a temporary name's affixes are added.
MAX_ID_LENGTH = 128

#: The rule, as error messages state it.
SAFE_ID_RULE = (
    f"an id must be a UUID or 1 to {MAX_ID_LENGTH} letters, digits, '-', '_' or '.', "
    "not starting with '.' and without '..'"
)

_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.")

#: Characters of an id shown before the rest is cut, in logs and tables.
SHOWN_ID_CHARACTERS = 60

#: GCS's limit on an object name, in UTF-8 bytes; also far above any key this pipeline makes.
MAX_KEY_BYTES = 1024
#: The usual file-system limit on one file name, in bytes.
MAX_SEGMENT_BYTES = 255


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a play id or game id, or ``None`` when it is a safe token.

    A safe token is a UUID (as Supabase makes them) or 1 to :data:`MAX_ID_LENGTH` ASCII
    letters, digits, ``-``, ``_`` and ``.``, not starting with ``.`` and without ``..``.
    """
    if value is None:
        return "is missing"
    text = value if isinstance(value, str) else str(value)
    if _UUID.fullmatch(text):
        return None
    if not text:
        return "is empty"
    if len(text) > MAX_ID_LENGTH:
        return f"is {len(text):,} characters long, more than {MAX_ID_LENGTH}"
    bad = list(dict.fromkeys(character for character in text if character not in _TOKEN_CHARACTERS))
    if bad:
        return f"contains {', '.join(repr(character) for character in bad[:5])}"
    if text.startswith("."):
        return "starts with '.'"
    if ".." in text:
        return "contains '..'"
    return None


def is_safe_id(value: Any) -> bool:
    """Whether ``value`` is a safe token (see :func:`id_problem`)."""
    return id_problem(value) is None


def shown_id(value: Any, limit: int = SHOWN_ID_CHARACTERS) -> str:
    """An id as a log line or a table may show it: as it is when safe, else its ``repr``
    (newlines and the like escaped), cut to ``limit`` characters with the full length given."""
    if is_safe_id(value):
        return str(value)
    text = repr(value if isinstance(value, str) or value is None else str(value))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(str(value)):,} characters)"


def object_key_problem(key: Any, folder: bool = False) -> str | None:
    """Why ``key`` cannot name an object in a bucket, or ``None`` when it can.

    Refused: an empty key, a leading ``/``, an empty, ``.`` or ``..`` segment (which would
    leave the folder the key means on a file system, or nest differently on GCS), a backslash,
    NUL or another control character, more than :data:`MAX_KEY_BYTES` bytes or a segment over
    :data:`MAX_SEGMENT_BYTES`. With ``folder`` the key is a prefix: it may be empty or end in ``/``.
    """
    if not isinstance(key, str):
        return f"is not text (got {type(key).__name__})"
    if folder:
        if key == "":
            return None
        key = key.removesuffix("/")
    if not key:
        return "is empty"
    if key.startswith("/"):
        return "starts with '/'"
    if "\\" in key:
        return "contains a backslash"
    controls = [character for character in key if ord(character) < 32 or ord(character) == 127]
    if controls:
        return f"contains the control character {controls[0]!r}"
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        return f"is longer than {MAX_KEY_BYTES} bytes"
    for segment in key.split("/"):
        if segment == "":
            return "has an empty segment ('//' or a trailing '/')"
        if segment in (".", ".."):
            return f"has a {segment!r} segment"
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            return f"has a segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None
