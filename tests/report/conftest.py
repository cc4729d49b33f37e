"""Real headless Chromium (Debian's ``chromium`` package) to open the report pages.

The page is opened from a file with every host name unresolvable; Chromium's verbose
log then lists every request it made and every console message the page produced.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM_TIMEOUT = 120
#: Hosts Chromium itself contacts in the background (sign-in, time, dictionaries).
_BROWSER_OWN_HOSTS = ("google.com", "gvt1.com", "googleapis.com", "gstatic.com")
_REQUEST = re.compile(r"NotifyBeforeURLRequest: (\S+)")
_CONSOLE = re.compile(r":CONSOLE(?::|\()\d*\)?\]? ?(.*)")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


@dataclass
class Rendered:
    """What Chromium made of a page."""

    dom: str
    console: list[str]
    requests: list[str]

    @property
    def outside_requests(self) -> list[str]:
        """Requests of the page that left the file (browser's own traffic excluded)."""
        out = []
        for url in self.requests:
            parsed = urlparse(url)
            if parsed.scheme in ("file", "data", "about", "chrome", "blob"):
                continue
            host = parsed.hostname or ""
            if any(host == h or host.endswith("." + h) for h in _BROWSER_OWN_HOSTS):
                continue
            out.append(url)
        return out


class Chromium:
    """Runs the chromium binary on a local HTML file."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.binary = binary
        self.profile = profile

    def _run(self, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        command = [self.binary, *_FLAGS, f"--user-data-dir={self.profile}", *extra]
        command.append(page.resolve().as_uri())
        env = {**os.environ, "HOME": str(self.profile)}
        return subprocess.run(
            command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, env=env, check=False
        )

    def render(self, page: Path) -> Rendered:
        """Load the page, run it, return the DOM after rendering with the log."""
        done = self._run(page, "--enable-logging=stderr", "--v=1", "--dump-dom")
        assert done.returncode == 0, done.stderr[-3000:]
        console = [m.group(1) for m in _CONSOLE.finditer(done.stderr)]
        requests = _REQUEST.findall(done.stderr)
        return Rendered(done.stdout, console, requests)

    def screenshot(
        self, page: Path, target: Path, *, width: int = 1280, height: int = 2400
    ) -> Path:
        done = self._run(page, f"--screenshot={target}", f"--window-size={width},{height}")
        assert done.returncode == 0, done.stderr[-3000:]
        return target


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "the report tests open the page in Debian's headless Chromium: "
            "apt-get install -y chromium (as .ci/run does)"
        )
    return Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))


class DomIndex(HTMLParser):
    """The attributes and text of a DOM, for assertions on what the page shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def attribute_values(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.elements if name in a]

    def tags(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag]


def parse_dom(html: str) -> DomIndex:
    index = DomIndex()
    index.feed(html)
    return index
