"""The catalog of reader, validator and command-line messages: both languages, the same
placeholders, parameters put in as values (never templates) in the reader's format."""

import pickle
import string

import pytest

from mapapp.ingest.table import UnreadableFileError
from mapapp.model.catalog import LANGS
from mapapp.model.messages import (
    CATALOG,
    Message,
    catalog_problems,
    key_of,
    msg,
    number_text,
    reasons_code,
    render,
    render_reasons,
)


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    templates = CATALOG[key]
    assert set(templates) == set(LANGS)
    fields = {}
    for lang in LANGS:
        assert templates[lang].strip(), f"{key}: empty {lang} template"
        fields[lang] = sorted((name, spec) for _, name, spec, _ in
                              string.Formatter().parse(templates[lang]) if name is not None)
    assert fields["es"] == fields["en"]


def test_the_catalog_checks_itself():
    assert catalog_problems() == []
    assert catalog_problems({"x": {"es": "{a}", "en": "{b}"}})
    assert catalog_problems({"x": {"es": "", "en": "y"}})


def test_a_message_is_one_short_text_that_renders_in_each_language():
    code = msg("value_negative", value=-1234.5)
    assert isinstance(code, str) and key_of(code) == "value_negative"
    assert render(code, "en") == "value -1234.5 is negative"
    assert render(code, "es") == "el valor -1234,5 es negativo"
    assert render("a plain text", "es") == "a plain text"
    assert pickle.loads(pickle.dumps(code)) == code


def test_numbers_in_the_readers_format():
    assert number_text(1234567.5, "es") == "1.234.567,5"
    assert number_text(1234567.5, "en") == "1,234,567.5"
    assert number_text(-0.25, "es") == "-0,25" and number_text(1200, "en", grouped=False) == "1200"
    code = msg("too_many_rows", file="f.csv", limit=1_000_000, row=1_000_001)
    assert "1.000.000 filas" in render(code, "es") and "1,000,000 rows" in render(code, "en")


def test_user_text_in_a_parameter_is_never_a_template_nor_a_code():
    hostile = "{file} {0} {__class__} \x1e[\"value_empty\"]"
    code = msg("file_empty", file=hostile)
    assert render(code, "en") == f"{hostile}: the file is empty"
    assert render(code, "es") == f"{hostile}: el archivo está vacío"


def test_messages_inside_messages_and_lists_of_them():
    where = msg("place_where", parents=[msg("place_parent", level="province", name="'Lamas'")])
    code = msg("place_unknown", level="district", name="'X'", where=where,
               suggest=msg("did_you_mean", names=["'A'", "'B'"]))
    assert render(code, "en") == ("unknown district 'X' in province 'Lamas'; "
                                  "did you mean 'A' or 'B'?")
    assert render(code, "es") == ("nombre de distrito desconocido: 'X' en provincia 'Lamas'; "
                                  "¿quiso decir 'A' o 'B'?")


def test_a_rows_reasons_render_as_column_and_message():
    code = reasons_code([("Valor", msg("value_empty")), ("Año", "plain")])
    assert render_reasons(code, "es") == "Valor: el valor está vacío; Año: plain"
    assert render_reasons(code, "en") == "Valor: value is empty; Año: plain"
    assert render_reasons("", "es") == ""


def test_a_file_error_is_english_for_logs_and_renders_in_a_language():
    error = UnreadableFileError(msg("file_empty", file="x.csv"))
    assert str(error) == "x.csv: the file is empty"
    assert error.text("es") == "x.csv: el archivo está vacío"
    again = pickle.loads(pickle.dumps(error))  # as the child process hands it over
    assert again.text("es") == error.text("es") and isinstance(again.message, str)
    assert str(UnreadableFileError("plain words")) == "plain words"


def test_a_message_is_not_a_message_code_by_accident():
    assert not isinstance(msg("file_empty", file="x") + "", Message)
    with pytest.raises(TypeError):
        msg("file_empty")
