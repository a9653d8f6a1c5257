"""The HTML report as a person sees it: opened in headless Chromium (Debian `chromium`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed (make setup installs it: DEB_PACKAGES)")
    return path


def render(page, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra,
                           page.as_uri()], capture_output=True, text=True, timeout=120)


class Scenarios(HTMLParser):
    """Text of each scenario's <details> in the rendered DOM, and whether it is open."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, dict] = {}
        self.current: dict | None = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "details" and "scenario" in (attrs.get("class") or ""):
            self.current = self.found.setdefault(attrs["id"], {"open": "open" in attrs, "text": ""})
            self.depth = 0
        elif tag == "details" and self.current is not None:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "details" and self.current is not None:
            if self.depth == 0:
                self.current = None
            else:
                self.depth -= 1

    def handle_data(self, data):
        if self.current is not None:
            self.current["text"] += data


def test_html_report_shows_the_failing_step_and_what_was_seen(waived_run, tmp_path):
    page = waived_run.reports / "report.html"
    dom = render(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    parser = Scenarios()
    parser.feed(dom.stdout)
    failing = parser.found["scenario-tiny-a-failing-scenario"]
    assert failing["open"], "a failed scenario is unfolded"
    assert "Failing step: Then the number is 3" in failing["text"]
    assert "expected the number 3, saw 2" in failing["text"]
    assert "CVE-2024-21626" in failing["text"]
    assert "the target lacks the capability gpu" in parser.found["scenario-tiny-a-skipped-scenario"]["text"]
    assert "waived: the sixth number is a known gap" in parser.found["scenario-tiny-a-waived-scenario"]["text"]
    assert not parser.found["scenario-tiny-a-passing-scenario"]["open"]
    assert 'id="target">staging-eu<' in dom.stdout and 'id="target-kind">embedded<' in dom.stdout
    assert 'id="target-dialect">reference<' in dom.stdout


def test_html_report_is_self_contained(waived_run):
    html = (waived_run.reports / "report.html").read_text()
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"\b(src|href)\s*=", html), "nothing is loaded from elsewhere"
    assert "@import" not in html and "url(" not in html


def test_html_report_renders_as_an_image(waived_run, tmp_path):
    shot = tmp_path / "report.png"
    done = render(waived_run.reports / "report.html", tmp_path, f"--screenshot={shot}", "--window-size=1200,2000")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
