"""The play: one row of the Supabase ``plays`` table, checked and typed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Angle = Literal["broadcast", "tactical"]

#: Camera angles that get a clip; the order is the order clips are listed in.
CAMERA_ANGLES: tuple[Angle, ...] = ("broadcast", "tactical")
#: Values of the ``angle`` column: a camera angle, or ``both``.
PLAY_ANGLES = (*CAMERA_ANGLES, "both")

#: The angle value used in a rejection that concerns the play as a whole.
WHOLE_PLAY = "all"


@dataclass(frozen=True)
class Play:
    """A play that passed row-level validation.

    ``start_time``/``end_time`` are seconds on the game timeline, or on the video of
    ``half`` when that optional column is set (see the spec's "Game timeline").
    """

    id: str
    game_id: str
    start_time: float
    end_time: float
    angle: str
    description: str
    created_at: str | None = None
    half: int | None = None
    updated_at: str | None = None

    @property
    def camera_angles(self) -> tuple[Angle, ...]:
        """The angles this play gets a clip for (two for ``both``)."""
        return CAMERA_ANGLES if self.angle == "both" else (self.angle,)  # type: ignore[return-value]

    @property
    def duration(self) -> float:
        return self.end_time - self.start_time

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Play:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Rejection:
    """Why a play (``angle == "all"``) or one angle's clip of it got no clip and no example."""

    play_id: str
    angle: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rejection:
        return cls(play_id=data["play_id"], angle=data["angle"], reason=data["reason"])
