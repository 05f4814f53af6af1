"""Interface strings in Simplified Chinese (default) and English.

Every ``warmvisits/locales/<lang>/<area>.toml`` is loaded; its keys are looked up as
``<area>.<name>`` (nested tables flatten with dots). A file may either hold its keys at top
level (``title = "…"`` in ``overview.toml`` is ``overview.title``) or under a table named after
the area (``[overview] title = "…"``): both give the same key.

``t(key, lang, **fmt)`` returns the string, formatted with ``str.format(**fmt)`` when
arguments are given. A key missing from the language is shown as a visible marker
(``⟦key⟧``) and remembered in ``MISSING`` so tests can fail on it. Enumeration values (入户,
村社区, 满意 …) have display names under ``enums.<domain>.<value>``; ``enum_label`` falls back to
the value itself, because data values stay as exported.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_NAMES = {"zh": "中文", "en": "English"}

# keys asked for but missing, as (lang, key): a test asserts this stays empty
MISSING: set[tuple[str, str]] = set()


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, dict):
            _flatten(key, value, out)
        else:
            out[key] = str(value)


def load_file(path: Path) -> dict[str, str]:
    """One locale file's keys, each prefixed with the area (the file's stem) exactly once."""
    area = path.stem
    with path.open("rb") as f:
        data = tomllib.load(f)
    flat: dict[str, str] = {}
    _flatten("", data, flat)
    out: dict[str, str] = {}
    for key, value in flat.items():
        full = key if key.startswith(f"{area}.") else f"{area}.{key}"
        out[full] = value
    return out


@lru_cache(maxsize=8)
def catalog(lang: str, folder: Path = LOCALES_DIR) -> dict[str, str]:
    """Every key of a language, across all its files."""
    out: dict[str, str] = {}
    lang_dir = folder / lang
    if lang_dir.is_dir():
        for path in sorted(lang_dir.glob("*.toml")):
            out.update(load_file(path))
    return out


def reload() -> None:
    """Forget loaded catalogs (after editing a locale file)."""
    catalog.cache_clear()


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalog(normalise_lang(lang))


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """The interface string for ``key`` in ``lang``; ``⟦key⟧`` when the key is missing."""
    lang = normalise_lang(lang)
    text = catalog(lang).get(key)
    if text is None:
        MISSING.add((lang, key))
        return f"⟦{key}⟧"
    if fmt:
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            MISSING.add((lang, f"{key} (format {sorted(fmt)})"))
            return text
    return text


def enum_label(domain: str, value: object, lang: str = DEFAULT_LANG) -> str:
    """Display name of an enumeration value (``method``/``入户`` → 入户 or Door); the value itself
    when the domain or value has no entry; an em dash for a missing value."""
    if value is None or value == "":
        return "—"
    text = catalog(normalise_lang(lang)).get(f"enums.{domain}.{value}")
    return text if text is not None else str(value)


def enum_domains(lang: str = DEFAULT_LANG) -> dict[str, dict[str, str]]:
    """``{domain: {value: label}}`` for one language."""
    out: dict[str, dict[str, str]] = {}
    for key, text in catalog(normalise_lang(lang)).items():
        if key.startswith("enums."):
            _, domain, value = key.split(".", 2)
            out.setdefault(domain, {})[value] = text
    return out
