"""Where digest finds its own files: the templates (email and web), the sample articles (seeds)
and the sample subscriber list.

They live at the top of the repository, which stays their one source. A wheel carries them as
package data under digest/data/ (pyproject.toml maps the folders in), found here through
importlib.resources; a source checkout (`pip install -e .`, as `make` does) uses the folders
themselves. DIGEST_TEMPLATES / templates_dir are searched before the built-in templates.
May import: errors.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import ConfigError

NAMES = ("templates", "seeds", "subscribers")


def folder(name: str) -> Path:
    """The built-in folder `name` (one of NAMES) as a real directory on disk."""
    if name not in NAMES:
        raise ValueError(name)
    packaged = resources.files("digest") / "data" / name
    if packaged.is_dir():
        # A wheel installs to the file system: the Traversable is a real path. (A zipped install
        # would need extracting, and digest does not support one.)
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise ConfigError(f"digest's built-in {name}/ folder is missing from this installation ({packaged}).",
                      "Reinstall digest (pip install --force-reinstall digest), or run it from a source checkout.")
