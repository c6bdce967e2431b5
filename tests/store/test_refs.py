"""Names, references and limits: the rules people meet when they publish or follow a link."""

from __future__ import annotations

import pytest

from mapapp.store import LIMITS, InvalidSlug, StoreError, check_slug, default_url, parse_ref
from mapapp.store.refs import check_text

GOOD_SLUGS = ["a", "0", "demo", "demo-2024", "san-martin-q3", "a" * 63, "9-", "a--b"]
BAD_SLUGS = ["", "A", "Demo", "-a", "a_b", "a" * 64, "á", "a b", "a/b", "../x", "a.b",
             "a\n", " a", "a@1", "ñandú", None, 3]


@pytest.mark.parametrize("slug", GOOD_SLUGS)
def test_a_slug_of_the_rule_is_accepted(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_a_slug_off_the_rule_is_refused_naming_the_value_and_the_rule(slug):
    with pytest.raises(InvalidSlug) as raised:
        check_slug(slug)
    assert repr(slug)[:20] in str(raised.value)
    assert "lowercase letters" in str(raised.value)
    assert "minúsculas" in raised.value.text("es")


@pytest.mark.parametrize(("text", "expected"), [
    ("demo", ("demo", None)),
    ("demo@1", ("demo", 1)),
    ("demo@12", ("demo", 12)),
    (" demo@3 ", ("demo", 3)),
    ("a-b@999999999", ("a-b", 999999999)),
])
def test_a_reference_is_a_slug_and_maybe_a_version(text, expected):
    assert parse_ref(text) == expected


@pytest.mark.parametrize("text", ["", "@3", "demo@", "demo@0", "demo@03", "demo@-1",
                                  "demo@1.5", "demo@1e3", "demo@3@4", "Demo@3", "demo@x",
                                  "demo@1234567890", "../etc@1", None])
def test_a_bad_reference_is_refused(text):
    with pytest.raises(InvalidSlug):
        parse_ref(text)


@pytest.mark.parametrize("field", sorted(LIMITS))
def test_each_text_has_a_limit_named_in_the_message(field):
    limit = LIMITS[field]
    assert check_text(field, "x" * limit, required=True) == "x" * limit
    with pytest.raises(StoreError) as raised:
        check_text(field, "x" * (limit + 1), required=True)
    assert f"{limit + 1:,} characters" in str(raised.value)
    assert f"{limit:,} allowed" in str(raised.value)


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_a_required_text_may_not_be_empty(value):
    with pytest.raises(StoreError, match="user name is empty"):
        check_text("by", value, required=True)
    assert check_text("note", value, required=False) == ""


def test_the_default_store_is_a_sqlite_file_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MAPAPP_DATABASE_URL", raising=False)
    monkeypatch.setenv("MAPAPP_DATA_DIR", str(tmp_path / "data" / "here"))
    assert default_url() == f"sqlite:///{tmp_path}/data/here/mapapp.sqlite"
    assert (tmp_path / "data" / "here").is_dir()
    monkeypatch.delenv("MAPAPP_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_url() == f"sqlite:///{tmp_path}/xdg/mapapp/mapapp.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_url() == f"sqlite:///{tmp_path}/home/.local/share/mapapp/mapapp.sqlite"
    monkeypatch.setenv("MAPAPP_DATABASE_URL", "postgresql://u@db/mapapp")
    assert default_url() == "postgresql://u@db/mapapp"
