"""Open a local HTML file in headless Chromium (Debian's `chromium` package) and
collect what a test needs: the DOM after loading, a screenshot, and every
message the page wrote to the console.

Chromium's stderr log (`--enable-logging=stderr`) carries one line per console
message, `...:INFO:CONSOLE:<line>] "<text>", source: <url> (<line>)` (older
builds: `CONSOLE(<line>)`), whatever the message's level: console.error,
uncaught exceptions and Content-Security-Policy violations all arrive as INFO.
So the console is read as a whole: a page without scripts should log nothing.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CONSOLE_LINE = re.compile(r":CONSOLE[:(]\d+\)?\]\s?(.*)$")
# Keep the browser from reaching the network or updating itself during a test.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def chromium_or_skip() -> str:
    """Chromium's path; skip when it is absent locally, fail under CI (which installs it)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI must install it (.ci/run does: apt-get install chromium)")
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return path


@dataclass
class PageRun:
    dom: str
    screenshot: Path
    console: list[str]      # every console message, any level
    stderr: str


def open_page(chromium: str, page: Path, work_dir: Path, width: int = 1400, height: int = 3000,
              timeout: float = 60) -> PageRun:
    """Load `page` once: dump its DOM after load and take a screenshot of the window."""
    work_dir.mkdir(parents=True, exist_ok=True)
    screenshot = work_dir / "screenshot.png"
    profile = work_dir / "profile"          # a fresh profile: no state from earlier runs
    command = [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={screenshot}", "--dump-dom", page.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "LANG": "C.UTF-8"})
    console = [match.group(1) for line in result.stderr.splitlines() if (match := CONSOLE_LINE.search(line))]
    return PageRun(result.stdout, screenshot, console, result.stderr)
