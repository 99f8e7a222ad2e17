"""focalbot: correspondence between a treaty secretariat and the focal points of States."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
TRANSLATIONS_DIR = PROJECT_DIR / "translations"
DATA_DIR = Path(__file__).resolve().parent / "data"

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
