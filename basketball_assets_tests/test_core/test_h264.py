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


# Exp-Golomb codes and emulation prevention, against a reference encoder (H.264 7.2, 9.1)


def ue(value: int) -> str:
    """ue(v) as bits: as many zeros as the binary of value + 1 has digits after its first."""
    code = bin(value + 1)[2:]
    return "0" * (len(code) - 1) + code


def nal_unit(header: int, bits: str) -> bytes:
    """A NAL unit of ``bits`` (then the stop bit and zeros), emulation-prevention bytes inserted:
    an encoder writes 0x03 wherever two zero bytes are followed by a byte of at most 3."""
    bits += "1" + "0" * (-(len(bits) + 1) % 8)
    payload, zeros = bytearray([header]), 0
    for byte in int(bits, 2).to_bytes(len(bits) // 8, "big"):
        if zeros >= 2 and byte <= 3:
            payload.append(3)
            zeros = 0
        payload.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(payload)


def test_the_largest_parameter_set_ids_have_long_exp_golomb_codes():
    # pic_parameter_set_id goes up to 255 (17 bits), seq_parameter_set_id up to 31 (11 bits).
    assert pps_ids(nal_unit(0x68, ue(255) + ue(31))) == (255, 31)
    assert sps_id(nal_unit(0x67, "01100100" + "00000000" + "00011111" + ue(31))) == 31
    assert pps_ids(nal_unit(0x68, ue(254) + ue(30))) == (254, 30)


def test_emulation_prevention_bytes_are_not_payload():
    # Profile 100, no constraint flags, level 0: the payload 00 00 01 41 is written 00 00 03 01 41.
    # Read without the 03, the code would be 000000 1 100000 (95), not 0000000 1 0100000 (159).
    assert nal_unit(0x67, "01100100" + "00000000" + "00000000" + ue(159)) == bytes.fromhex("67640000030141")
    assert sps_id(bytes.fromhex("67640000030141")) == 159


@pytest.mark.parametrize(
    "values",
    [
        (0, 0),  # the shortest codes: 1, 1
        (0, 2**20),  # a 41-bit code (80 00 04 00 00 60: no byte inserted)
        (2**16 - 1, 2**16 - 1),  # 00 00 80 00 00 03 00 40 00 20: a byte inserted inside the second code
        (2**24, 0),  # 00 00 03 00 80 00 00 e0: a byte inserted inside a code's leading zeros
        (24_575, 0),  # 00 03 00 06: a 03 after one zero byte (the header is never zero) is data
        (1023, 2),  # 00 20 03 80: a 03 after a zero and a non-zero byte is data
        (0, 524_290),  # 80 00 08 00 03 80: a 03 after one zero that follows a non-zero byte is data
    ],
)
def test_exp_golomb_codes_read_back_through_emulation_prevention(values):
    unit = nal_unit(0x68, "".join(ue(v) for v in values))
    assert pps_ids(unit) == values


def test_a_zero_byte_count_starts_again_after_a_removed_byte():
    # The payload 00 00 00 03 00 00 00 06 is written 00 00 03 00 03 00 00 03 00 06: the second 03
    # follows one zero only, so it is data (the code's value bits start with it).
    value = 2**30 - 1 + 2**29  # 30 zeros, 1, then 1 and 29 zeros
    unit = nal_unit(0x68, ue(value) + ue(0))
    assert unit == bytes.fromhex("6800000300030000030006")
    assert pps_ids(unit) == (value, 0)


def test_avc_config_records_of_every_length_size_and_parameter_set_count():
    assert AvcConfig.empty().to_bytes() == bytes([1, 0, 0xFF, 0, 0xFF, 0xE0, 0])
    for length_size in (1, 2, 3, 4):
        config = AvcConfig(66, 0xC0, 30, length_size, (SPS, SPS), (PPS,))
        record = config.to_bytes()
        assert record[4:6] == bytes([0xFC | (length_size - 1), 0xE0 | 2])
        assert AvcConfig.parse(record) == config
