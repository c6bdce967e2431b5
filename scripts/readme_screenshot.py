"""Copy the browser tests' screenshot of the demo map into docs/ for README, smaller.

Run after the browser tests (make test): python scripts/readme_screenshot.py
"""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "test-artifacts" / "screenshots" / "offline-department-es.png"
TARGET = ROOT / "docs" / "screenshot.png"

image = Image.open(SOURCE).convert("RGB")
image.thumbnail((1100, 1100))
image.quantize(colors=128).save(TARGET, optimize=True)
print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size // 1024} kB")
