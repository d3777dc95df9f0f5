"""Code points ↔ UTF-16 code units."""

from __future__ import annotations

from trialex.formats.offsets import OffsetMap, js_slice, utf16_len, utf16_to_cp

from .sample import TEXT


def test_offset_map_round_trip_with_astral_characters():
    m = OffsetMap(TEXT)
    assert utf16_len(TEXT) == len(TEXT) + 2
    for start in range(len(TEXT)):
        for end in range(start + 1, min(len(TEXT), start + 6) + 1):
            s16, e16 = m.span_to_utf16(start, end)
            assert js_slice(TEXT, s16, e16) == TEXT[start:end]
            assert m.span_to_cp(s16, e16) == (start, end)
    # an offset inside a surrogate pair snaps outwards: the span keeps the whole character
    assert utf16_to_cp(TEXT, 1, 3) == (0, 2)
    assert OffsetMap("plain ascii").span_to_utf16(2, 5) == (2, 5)
