"""Masking rules for each kind of personal data, and which role sees what (warmvisits.masking)."""

from __future__ import annotations

import polars as pl
import pytest

from warmvisits.masking import (
    mask_address,
    mask_frame,
    mask_name,
    mask_phone,
    personal_columns,
)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("欧阳小明", "欧**明"),
        ("张", "*"),
        (" 李四光 ", "李*光"),
        ("", ""),
        (None, None),
    ],
)
def test_names_keep_first_and_last_character(raw, masked):
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("0558-1234567", "0558-****567"),
        ("055812345678", "0558-*****678"),
        ("010-87654321", "010-*****321"),
        ("12345", "***45"),
        ("1234", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_phones(raw, masked):
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("谯城区芦庙镇袁庄村3组12号", "谯城区芦庙镇袁庄村***"),
        ("薛阁街道马元社区幸福路88号2栋", "薛阁街道马元社区***"),
        # a township whose own name holds 村 is passed before looking for the village
        ("张村镇李庄村5组", "张村镇李庄村***"),
        ("高楼村", "高楼村"),
        ("光明路12号", "***"),
        ("", ""),
        (None, None),
    ],
)
def test_addresses_cut_to_the_village(raw, masked):
    assert mask_address(raw) == masked


def test_personal_columns_by_name():
    cols = [
        "household_id",
        "head_name",
        "phone",
        "address",
        "leader_name",
        "leader_phone",
        "visitor",
        "caller",
        "township_name",
        "called_head_name",
        "called_head_phone",
        "n_phone",
        "phone_share",
        "door_phone_mix",
    ]
    assert personal_columns(cols) == {
        "head_name": "name",
        "phone": "phone",
        "address": "address",
        "leader_phone": "phone",
        "called_head_name": "name",
        "called_head_phone": "phone",
    }


def test_counts_of_phone_visits_are_not_masked():
    df = pl.DataFrame({"n_phone": [12, 3], "phone_share": [0.25, 0.5]})
    assert mask_frame(df, "analyst").equals(df)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "household_id": ["341602101001007-0042", "341602101001007-0043", "x"],
            "head_name": ["张三明", "王五", None],
            "phone": ["13812345678", "0558-1234567", None],
            "address": ["芦庙镇袁庄村3组12号", "薛阁街道马元社区幸福路88号", None],
            "leader_name": ["赵六", "赵六", "赵六"],
            "leader_phone": ["13900001111", "13900001111", None],
            "n_visits": [1, 2, 3],
        }
    )


def test_admin_sees_everything():
    df = _frame()
    assert mask_frame(df, "admin").equals(df)


def test_analyst_sees_masked_values():
    out = mask_frame(_frame(), "analyst")
    assert out["head_name"].to_list() == ["张*明", "王*", None]
    assert out["phone"].to_list() == ["138****5678", "0558-****567", None]
    assert out["address"].to_list() == ["芦庙镇袁庄村***", "薛阁街道马元社区***", None]
    assert out["leader_phone"].to_list() == ["139****1111", "139****1111", None]
    # not personal data: unchanged
    assert out["household_id"].to_list() == _frame()["household_id"].to_list()
    assert out["leader_name"].to_list() == ["赵六"] * 3
    assert out["n_visits"].to_list() == [1, 2, 3]


def test_callback_sees_full_phones_and_names_but_not_addresses():
    out = mask_frame(_frame(), "callback")
    assert out["phone"].to_list() == ["13812345678", "0558-1234567", None]
    assert out["head_name"].to_list() == ["张三明", "王五", None]
    assert out["address"].to_list() == ["芦庙镇袁庄村***", "薛阁街道马元社区***", None]


@pytest.mark.parametrize("role", ["leader", None, "nobody", ""])
def test_leader_and_unknown_roles_see_no_personal_data(role):
    out = mask_frame(_frame(), role)
    for col in ("head_name", "phone", "address", "leader_phone"):
        values = out[col].to_list()
        assert all(v in (None, "***") for v in values), (col, values)
    assert out["head_name"].to_list() == ["***", "***", None]


def test_numbers_stored_as_numbers_are_masked_too():
    df = pl.DataFrame({"phone": [13812345678, None]})
    out = mask_frame(df, "analyst")
    assert out["phone"].to_list() == ["138****5678", None]


def test_empty_and_all_null_frames():
    empty = pl.DataFrame({"head_name": pl.Series([], dtype=pl.String)})
    assert mask_frame(empty, "analyst").height == 0
    nulls = pl.DataFrame({"phone": pl.Series([None, None], dtype=pl.String)})
    assert mask_frame(nulls, "analyst")["phone"].to_list() == [None, None]
