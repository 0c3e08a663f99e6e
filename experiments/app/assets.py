"""Browser assets of the app, installed once so the app works with no internet access.

Solara's server serves its front end (the Vuetify app, RequireJS, Font Awesome) from a CDN
through a local cache, ``<venv>/share/solara/cdn``. Where the CDN cannot be reached (CI, an
offline laptop) the page stays blank. `ensure_assets` fills that cache from the npm registry
with npm's own client (``npm pack``), once; ``.ci/run`` calls it after installing the
environment, and a user without CDN access runs ``python -m experiments.app.assets``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["NPM_PACKAGES", "cache_dir", "ensure_assets", "missing_assets"]

NPM_PACKAGES = (
    "@widgetti/solara-vuetify3-app@5.2.0",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
)
"""The npm packages solara 1.64's page template (``solara.html.j2``) and its draggable grid
(``gridlayout_v3.vue``, used by Mesa's SolaraViz) load."""
MARKER = {
    "@widgetti/solara-vuetify3-app@5.2.0": "dist/solara-vuetify-app8.min.js",
    "requirejs@2.3.6": "require.js",
    "font-awesome@4.5.0": "css/font-awesome.min.css",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2": "dist/vue-grid-layout.umd.js",
}


def cache_dir() -> Path:
    """Solara's CDN cache folder (its setting, default ``<sys.prefix>/share/solara/cdn``)."""
    try:
        from solara.server import settings

        return Path(settings.assets.proxy_cache_dir)
    except Exception:
        return Path(sys.prefix) / "share" / "solara" / "cdn"


def missing_assets(root: Path | None = None) -> list[str]:
    """The packages of `NPM_PACKAGES` not yet in the cache."""
    root = root or cache_dir()
    return [p for p in NPM_PACKAGES if not (root / p / MARKER[p]).is_file()]


def ensure_assets(root: Path | None = None) -> list[str]:
    """Fetch the missing packages with ``npm pack`` and unpack them into the cache.

    Returns:
        The packages installed now (empty if all were there).

    Raises:
        RuntimeError: npm is missing or failed (the message says what to do).
    """
    root = root or cache_dir()
    missing = missing_assets(root)
    if not missing:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is not installed; install Node.js (apt-get install npm) or give the app CDN access"
        )
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [npm, "pack", "--silent", *missing], cwd=tmp, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"npm pack failed: {proc.stderr.strip()[-500:]}")
        files = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
        for package, file in zip(missing, files, strict=True):
            dest = root / package
            staging = Path(tmp) / f"unpack-{len(package)}-{file}"
            with tarfile.open(Path(tmp) / file) as tar:
                tar.extractall(staging, filter="data")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            shutil.move(str(staging / "package"), dest)
    return missing


if __name__ == "__main__":
    done = ensure_assets()
    print(f"app assets in {cache_dir()}: " + (f"installed {', '.join(done)}" if done else "ok"))
