"""The H.264 bitstream pieces of a smart cut: NAL units, parameter-set ids, the avcC record."""

import pytest

from basketball_assets.core.h264 import (
    AvcConfig,
    annexb_nal_units,
    length_prefixed,
    length_prefixed_nal_types,
    pps_ids,
    profile_fits,
    sps_id,
)

SPS = bytes.fromhex("6764000dacd94141fb0110000003001000000303c0f1429960")  # id 0, High, level 1.3
PPS = bytes.fromhex("68ebe3cb22c0")  # id 0 -> SPS 0


def test_parameter_set_ids_are_read_from_sps_and_pps():
    assert sps_id(SPS) == 0
    assert pps_ids(PPS) == (0, 0)
    assert sps_id(bytes.fromhex("6764000d40")) == 1  # ue(v) "010" = 1
    assert pps_ids(bytes.fromhex("6848")) == (1, 1)


def test_avc_config_round_trips():
    config = AvcConfig(100, 0, 13, 4, (SPS,), (PPS,), b"\xfd\xf8\xf8\x00")

    assert AvcConfig.parse(config.to_bytes()) == config


@pytest.mark.parametrize(
    ("part", "source", "fits"),
    [
        ((100, 0x00), (100, 0x00), True),
        ((66, 0xC0), (100, 0x00), True),  # Constrained Baseline in High
        ((77, 0x40), (100, 0x00), True),
        ((66, 0xC0), (77, 0x40), True),
        ((66, 0x80), (77, 0x40), False),  # plain Baseline (FMO, ASO) is not in Main
        ((100, 0x00), (77, 0x40), False),
        ((77, 0x40), (66, 0xC0), False),
    ],
)
def test_profiles_that_decode_in_the_source_stream(part, source, fits):
    def config(profile, compatibility):
        return AvcConfig(profile, compatibility, 31, 4, (), ())

    assert profile_fits(config(*part), config(*source)) is fits


def test_annexb_units_become_length_prefixed_samples():
    stream = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x01" + PPS + b"\x00\x00\x00\x01\x65\x88\x00\x10"

    units = annexb_nal_units(stream)

    assert units == [SPS, PPS, b"\x65\x88\x00\x10"]
    assert length_prefixed_nal_types(length_prefixed(units)) == [7, 8, 5]


def test_a_stream_may_open_with_a_three_byte_start_code_and_keep_a_last_units_trailing_zeros():
    # Only the zero of a following 4-byte start code is trimmed; the last unit is kept whole,
    # and a byte that only looks like padding ("X") is the unit's own.
    stream = b"\x00\x00\x01" + PPS + b"X" + b"\x00\x00\x00\x01" + b"\x65\x88\x00\x00"

    assert annexb_nal_units(stream) == [PPS + b"X", b"\x65\x88\x00\x00"]


def test_a_stream_without_start_codes_has_no_units():
    assert annexb_nal_units(b"\x65\x88\x00\x10") == []


def test_the_smallest_avc_config_is_seven_bytes_and_anything_else_is_refused():
    empty = bytes([1, 100, 0, 13, 0xFF, 0xE0, 0])  # version 1, no SPS, no PPS

    assert AvcConfig.parse(empty) == AvcConfig(100, 0, 13, 4, (), (), b"")
    for not_a_record in (empty[:6], bytes([2]) + empty[1:], b"\x00\x00\x00\x01" + SPS):
        with pytest.raises(ValueError, match=r"^not an avcC record \(H\.264 in Annex B form\?\)$"):
            AvcConfig.parse(not_a_record)


def test_nal_types_stop_at_a_truncated_or_empty_unit():
    sample = length_prefixed([SPS, PPS])
    assert length_prefixed_nal_types(sample + b"\x00\x00\x00\x09\x65") == [7, 8]  # says 9 bytes, has 1
    assert length_prefixed_nal_types(sample + b"\x00\x00\x00\x00" + length_prefixed([PPS])) == [7, 8]
    assert length_prefixed_nal_types(sample + b"\x00\x00") == [7, 8]
