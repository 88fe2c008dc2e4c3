"""H.264 bitstream pieces a smart cut needs: NAL units, parameter-set ids and the ``avcC`` box.

Pure byte handling (no PyAV, no ffmpeg): splitting x264's Annex B output into NAL units,
writing them as mp4 samples, reading the ids of parameter sets, and reading and writing
the AVCDecoderConfigurationRecord that an mp4 keeps its parameter sets in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

#: NAL unit types (H.264 table 7-1) that smart cutting looks at.
NAL_IDR_SLICE, NAL_SPS, NAL_PPS = 5, 7, 8

#: H.264 profile_idc values: Baseline, Main, High.
PROFILE_BASELINE, PROFILE_MAIN, PROFILE_HIGH = 66, 77, 100


def annexb_nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start-code separated)."""
    units: list[bytes] = []
    position = data.find(b"\x00\x00\x01")
    while position >= 0:
        begin = position + 3
        following = data.find(b"\x00\x00\x01", begin)
        unit = data[begin : following if following >= 0 else len(data)]
        # A 4-byte start code leaves its leading zero at the end of the previous unit.
        units.append(unit.rstrip(b"\x00") if following >= 0 else unit)
        position = following
    return [unit for unit in units if unit]


def length_prefixed(units: Sequence[bytes]) -> bytes:
    """NAL units as mp4 samples carry them: each after its 4-byte big-endian length."""
    return b"".join(len(unit).to_bytes(4, "big") + unit for unit in units)


def length_prefixed_nal_types(sample: bytes) -> list[int]:
    """The NAL unit types of an mp4 sample with 4-byte lengths."""
    types, position = [], 0
    while position + 4 <= len(sample):
        size = int.from_bytes(sample[position : position + 4], "big")
        if size == 0 or position + 4 + size > len(sample):
            break
        types.append(sample[position + 4] & 0x1F)
        position += 4 + size
    return types


def _rbsp_bits(unit: bytes) -> Iterator[int]:
    """The payload bits of a NAL unit after its header, emulation-prevention bytes removed."""
    zeros = 0
    for byte in unit[1:]:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        zeros = zeros + 1 if byte == 0 else 0
        for shift in range(7, -1, -1):
            yield (byte >> shift) & 1


def _exp_golomb(bits: Iterator[int]) -> int:
    """One unsigned Exp-Golomb code, ue(v), read from ``bits``."""
    leading = 0
    while next(bits) == 0:
        leading += 1
    value = 0
    for _ in range(leading):
        value = (value << 1) | next(bits)
    return (1 << leading) - 1 + value


def sps_id(unit: bytes) -> int:
    """seq_parameter_set_id of an SPS NAL unit (after profile, constraints and level)."""
    bits = _rbsp_bits(unit)
    for _ in range(24):
        next(bits)
    return _exp_golomb(bits)


def pps_ids(unit: bytes) -> tuple[int, int]:
    """(pic_parameter_set_id, seq_parameter_set_id) of a PPS NAL unit."""
    bits = _rbsp_bits(unit)
    return _exp_golomb(bits), _exp_golomb(bits)


def _parameter_sets(record: bytes, count: int, position: int) -> tuple[list[bytes], int]:
    """``count`` parameter sets, each after its 2-byte length, from ``position``; and where they end."""
    units = []
    for _ in range(count):
        size = int.from_bytes(record[position : position + 2], "big")
        units.append(record[position + 2 : position + 2 + size])
        position += 2 + size
    return units, position


@dataclass(frozen=True)
class AvcConfig:
    """An AVCDecoderConfigurationRecord (the mp4 ``avcC`` box): profile, level, parameter sets."""

    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    extension: bytes = b""  # the High-profile trailer (chroma format, bit depths), kept as is

    @classmethod
    def empty(cls) -> AvcConfig:
        """A record with no parameter sets (what an empty head or tail brings)."""
        return cls(0, 0xFF, 0, 4, (), ())

    @classmethod
    def parse(cls, record: bytes) -> AvcConfig:
        """Read a record; ``ValueError`` when the bytes are not one."""
        if len(record) < 7 or record[0] != 1:
            raise ValueError("not an avcC record (H.264 in Annex B form?)")
        sps, position = _parameter_sets(record, record[5] & 0x1F, 6)
        pps, position = _parameter_sets(record, record[position], position + 1)
        length_size = (record[4] & 0x03) + 1
        return cls(record[1], record[2], record[3], length_size, tuple(sps), tuple(pps), record[position:])

    def to_bytes(self) -> bytes:
        """The record as the ``avcC`` box (and a decoder's extradata) holds it."""
        record = bytearray(
            [1, self.profile, self.compatibility, self.level, 0xFC | (self.length_size - 1), 0xE0 | len(self.sps)]
        )
        for unit in self.sps:
            record += len(unit).to_bytes(2, "big") + unit
        record.append(len(self.pps))
        for unit in self.pps:
            record += len(unit).to_bytes(2, "big") + unit
        return bytes(record + self.extension)

    @property
    def parameter_set_ids(self) -> set[int]:
        """The ids of every SPS and PPS in the record."""
        return {sps_id(unit) for unit in self.sps} | {pps_ids(unit)[0] for unit in self.pps}


def profile_fits(part: AvcConfig, source: AvcConfig) -> bool:
    """Whether frames coded in ``part``'s profile decode in a stream of ``source``'s profile.

    The same profile always does; Main and High decoders also decode Constrained Baseline
    (constraint_set1_flag), and High decoders Main (x264's fastest presets drop to those).
    """
    if part.profile == source.profile:
        return True
    constrained_baseline = part.profile == PROFILE_BASELINE and part.compatibility & 0x40
    if source.profile == PROFILE_MAIN:
        return bool(constrained_baseline)
    if source.profile == PROFILE_HIGH:
        return bool(constrained_baseline) or part.profile == PROFILE_MAIN
    return False
