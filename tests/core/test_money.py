import pytest
from hypothesis import given
from hypothesis import strategies as st

from laotie.core.errors import InvalidInput
from laotie.core.money import format_fen, split_fen, yuan_to_fen


def test_yuan_to_fen_rounds_half_up_at_the_fen():
    assert yuan_to_fen("12.345") == 1235
    assert yuan_to_fen("0.01") == 1
    assert yuan_to_fen(3) == 300


def test_yuan_to_fen_names_the_field():
    with pytest.raises(InvalidInput) as info:
        yuan_to_fen("abc", field="daily_budget")
    assert info.value.field == "daily_budget"


def test_format_fen():
    assert format_fen(123456) == "¥1,234.56"
    assert format_fen(-5) == "-¥0.05"


@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=20).filter(
        lambda w: sum(w) > 0
    ),
)
def test_split_fen_parts_sum_exactly(total, weights):
    parts = split_fen(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)
