"""The i18n layer: lookups, both locales complete, and no literal interface string in the
Streamlit code (app.py, ui/, pages/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from warmvisits import i18n

ROOT = Path(__file__).resolve().parent.parent
LETTERS = re.compile(r"[A-Za-z\u3400-\u9fff]")

# calls that put text on the screen: method name -> positional arguments that are labels/text
DISPLAY_CALLS: dict[str, tuple[int, ...] | str] = {
    **{
        name: (0,)
        for name in (
            "title",
            "header",
            "subheader",
            "markdown",
            "caption",
            "text",
            "metric",
            "button",
            "download_button",
            "link_button",
            "form_submit_button",
            "selectbox",
            "multiselect",
            "radio",
            "checkbox",
            "toggle",
            "slider",
            "select_slider",
            "text_input",
            "number_input",
            "date_input",
            "time_input",
            "text_area",
            "file_uploader",
            "segmented_control",
            "pills",
            "expander",
            "popover",
            "info",
            "warning",
            "error",
            "success",
            "toast",
            "page_link",
            "chat_input",
            "status",
            "spinner",
        )
    },
    "write": "all",
    "tabs": "all",
}
TEXT_KEYWORDS = {"label", "help", "placeholder", "body", "text", "caption", "title"}


def streamlit_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py"))]
    files += sorted((ROOT / "pages").glob("*.py"))
    return [f for f in files if f.exists()]


def code_files() -> list[Path]:
    return streamlit_files() + sorted((ROOT / "warmvisits").rglob("*.py"))


def _literal_texts(node: ast.AST) -> list[str]:
    """String literals with letters that ``node`` puts on screen as they are."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if LETTERS.search(node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [
            v.value
            for v in node.values
            if isinstance(v, ast.Constant) and isinstance(v.value, str) and LETTERS.search(v.value)
        ]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for elt in node.elts for s in _literal_texts(elt)]
    if isinstance(node, ast.BinOp):
        return _literal_texts(node.left) + _literal_texts(node.right)
    return []


def literal_ui_strings(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """(line, text) for every letter-bearing string literal passed straight to a display call."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        spec = DISPLAY_CALLS.get(name)
        is_column = name.endswith("Column")  # st.column_config.NumberColumn("label", ...)
        if spec is None and not is_column:
            continue
        positions = range(len(node.args)) if spec == "all" else (spec or (0,))
        for i in positions:
            if isinstance(i, int) and i < len(node.args):
                out.extend((node.lineno, s) for s in _literal_texts(node.args[i]))
        for kw in node.keywords:
            if kw.arg in TEXT_KEYWORDS:
                out.extend((node.lineno, s) for s in _literal_texts(kw.value))
    return out


def t_keys_used(source: str) -> set[str]:
    """Literal keys passed to t(...) / ui.t(...) / i18n.t(...)."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name != "t":
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            keys.add(first.value)
    return keys


# ------------------------------------------------------------------------------ the layer


def test_lookup_format_and_missing_marker() -> None:
    assert i18n.t("common.nav.leaders", "zh") == "领导总览"
    assert i18n.t("common.nav.leaders", "en") == "Leaders' overview"
    assert i18n.t("common.nav.leaders", "fr") == "领导总览"  # unknown language -> Chinese
    assert i18n.t("common.quarter_fmt", "zh", year="2023", q="1") == "2023年第1季度"
    before = set(i18n.MISSING)
    assert i18n.t("common.no_such_key_for_test", "en") == "⟦common.no_such_key_for_test⟧"
    assert ("en", "common.no_such_key_for_test") in i18n.MISSING - before
    i18n.MISSING.discard(("en", "common.no_such_key_for_test"))


def test_enum_labels_and_fallback() -> None:
    assert i18n.enum_label("method", "入户", "en") == "Door"
    assert i18n.enum_label("method", "未联系上", "zh") == "未联系上"
    assert i18n.enum_label("level", "区直部门", "en") == "District department"
    assert i18n.enum_label("light", "red", "zh") == "红灯"
    # data values without an entry stay as exported
    assert i18n.enum_label("category", "农田水利", "en") == "农田水利"
    assert i18n.enum_label("method", None, "en") == "—"


def test_area_prefix_with_or_without_a_table(tmp_path: Path) -> None:
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "alpha.toml").write_text('a = "1"\n[b]\nc = "2"\n', encoding="utf-8")
    (tmp_path / "xx" / "beta.toml").write_text('[beta]\nd = "3"\n[beta.e]\nf = "4"\n', "utf-8")
    cat = i18n.catalog("xx", tmp_path)
    assert cat == {"alpha.a": "1", "alpha.b.c": "2", "beta.d": "3", "beta.e.f": "4"}


ENUM_DOMAINS = {
    "method": {"入户", "电话", "未联系上"},
    "level": {"村社区", "乡镇街道", "区直部门", "区委区政府", "上级"},
    "light": {"green", "yellow", "red"},
    "outcome": {"满意", "基本满意", "不满意", "未接通"},
    "channel": {"来信", "来访", "网上", "电话"},
    "case_status": {"办理中", "已办结", "已移交上级"},
    "complexity": {"一般", "复杂"},
    "role": {"leader", "analyst", "callback", "admin"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_enumerations_have_display_names(lang: str) -> None:
    domains = i18n.enum_domains(lang)
    for domain, values in ENUM_DOMAINS.items():
        assert values <= set(domains.get(domain, {})), (lang, domain)


# ------------------------------------------------------------------------------ completeness


def test_every_key_exists_in_both_languages() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert len(zh) > 50
    assert sorted(set(zh) - set(en)) == [], "keys missing from en"
    assert sorted(set(en) - set(zh)) == [], "keys missing from zh"


def test_both_languages_have_the_same_files() -> None:
    names = {
        lang: sorted(p.name for p in (i18n.LOCALES_DIR / lang).glob("*.toml"))
        for lang in ("zh", "en")
    }
    assert names["zh"] == names["en"]


def test_no_empty_strings_and_english_is_translated() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    assert [k for k, v in {**zh, **en}.items() if not v.strip()] == []
    # an English string that is entirely Chinese was probably not translated (enum values and
    # the language names are the exceptions: 中文 names itself)
    untranslated = [
        k
        for k, v in en.items()
        if re.search(r"[\u4e00-\u9fff]", v)
        and not re.search(r"[A-Za-z]", v)
        and k not in {"common.lang_zh"}
    ]
    assert untranslated == []


def test_every_literal_key_used_in_code_exists() -> None:
    zh, en = i18n.catalog("zh"), i18n.catalog("en")
    used: dict[str, str] = {}
    for path in code_files():
        for key in t_keys_used(path.read_text(encoding="utf-8")):
            used[key] = str(path.relative_to(ROOT))
    assert "common.app_title" in used  # the scan sees app.py
    missing = sorted(f"{k} ({f})" for k, f in used.items() if k not in zh or k not in en)
    assert missing == []


# ------------------------------------------------------------------------------ no literal strings


def test_scanner_catches_literals() -> None:
    src = (
        "import streamlit as st\n"
        "st.title('入户覆盖')\n"
        "st.sidebar.selectbox('Quarter', qs)\n"
        "col.metric(label=f'覆盖 {x}', value=v)\n"
        "st.tabs(['地图', ui.t('a')])\n"
        "st.dataframe(df, column_config={'a': st.column_config.NumberColumn('Rate')})\n"
        "st.markdown('---')\n"
        "st.title(ui.t('coverage.title'))\n"
        "st.dataframe(df, selection_mode='single-row', on_select='rerun')\n"
    )
    found = sorted(s for _, s in literal_ui_strings(src))
    assert found == sorted(["入户覆盖", "Quarter", "覆盖 ", "地图", "Rate"])


@pytest.mark.parametrize("path", streamlit_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_literal_interface_strings(path: Path) -> None:
    found = literal_ui_strings(path.read_text(encoding="utf-8"), str(path))
    assert found == [], f"{path.name}: use ui.t() for {found}"
