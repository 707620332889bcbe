"""`mbk serve` serves at once and makes the missing espeak-ng clips in the background. Until a clip is there the
board and kiosk are answered as on a first start: a call's clips are made when it is announced, a screen's texts
get clips made on request (each URL handed out plays) or none (the browser's voice), and a clip file not made yet
is an honest 404, never a 500. Stopping the server ends the build between two clips, leaving no half-written
file. espeak-ng is a stand-in here whose first clip ("0") waits until the test lets it go."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from core.speech import CLIP_NAME, clip_problems
from tests.core.test_speech import tone
from tests.plugins.queue.support import write_deployment
from tests.support import free_port

OFFICE = """
[office]
id = "test"
name = { sv = "Testkontoret" }
timezone = "Europe/Stockholm"
languages = ["sv"]

[plugins]
enabled = ["queue"]

[plugins.queue]
counters = [{ id = "desk-1", name = { sv = "Disk 1" } }]
services = [{ id = "info", prefix = "A", name = { sv = "Info" }, counters = ["desk-1"] }]
announce_languages = ["sv"]
"""
# espeak-ng's command line as core.speech calls it: -v VOICE -s SPEED -w FILE -- TEXT
ESPEAK = """#!/bin/sh
while [ "$1" != "-w" ]; do shift; done
out="$2"; shift 2; [ "$1" = "--" ] && shift
if [ "$1" = "0" ]; then while [ ! -e "{gate}" ]; do /bin/sleep 0.05; done; fi
/bin/cp "{clip}" "$out"
"""
START_SECONDS = 120  # a deadline for a loaded machine, not a measurement


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return None


def test_serve_starts_before_the_clips_are_made_and_answers_honestly_meanwhile(tmp_path: Path) -> None:
    deployment = write_deployment(tmp_path / "deployment", office=OFFICE)
    tools, cache, gate = tmp_path / "bin", tmp_path / "clips", tmp_path / "gate"
    tools.mkdir()
    tone(tmp_path / "clip.wav", 440, 0.05)
    espeak = tools / "espeak-ng"
    espeak.write_text(ESPEAK.format(gate=gate, clip=tmp_path / "clip.wav"), encoding="utf-8")
    espeak.chmod(0o755)
    port, mbk = free_port(), str(Path(sys.executable).parent / "mbk")
    # SQLite: the start, not the database, is under test
    env = {**os.environ, "PATH": f"{tools}:{Path(sys.executable).parent}:/usr/bin:/bin",
           "MBK_DATABASE_URL": f"sqlite:///{tmp_path / 'mbk.db'}", "MBK_SPEECH_CACHE": str(cache),
           "MBK_SECRET_KEY": "serve-speech-test-secret-key-0123456789", "MBK_LOG_LEVEL": "WARNING"}
    subprocess.run([mbk, "db", "upgrade", "--deployment", str(deployment)], env=env, check=True, capture_output=True)
    enrolled = subprocess.run([mbk, "device", "add", "--office", "test", "--kind", "display", "--name", "Board",
                               "--deployment", str(deployment)], env=env, check=True, capture_output=True, text=True)
    device = {"Authorization": f"Bearer {enrolled.stdout.rsplit(': ', 1)[1].strip()}"}
    server = subprocess.Popen([mbk, "serve", "--deployment", str(deployment),
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    digit_zero = f"{base}/api/v1/offices/test/speech/sv/digit-0.wav"
    try:
        # Serving while the build waits on its first clip: the old start would never get here.
        wait_for(lambda: answers(f"{base}/healthz") == 200 or server.poll() is not None, "serve did not start")
        assert server.poll() is None
        assert not (cache / "sv" / "digit-0.wav").exists()
        not_yet = httpx.get(digit_zero)
        assert not_yet.status_code == 404 and not_yet.json()["error"] == "clip_not_found"
        # The board's promise holds: the language has clips, and a call is announced from them, made on demand.
        board = re.search(r'id="queue-board-config">(.*?)</script>', httpx.get(f"{base}/test/queue/board").text)
        assert board and json.loads(board.group(1))["announcements"][0]["clips"] is True
        call = httpx.get(f"{base}/api/v1/offices/test/queue/announcement.wav",
                         params={"language": "sv", "number": "A012", "counter": "desk-1"}, timeout=60)
        assert call.status_code == 200 and call.headers["content-type"] == "audio/wav"
        assert call.content.startswith(b"RIFF")
        # A screen asking for its texts' clips gets only clips that are there to play.
        texts = ["Info", "Nummer A012, Disk 1", "Ett nytt ord som ingen skärm har sagt förut"]
        asked = httpx.post(f"{base}/api/v1/offices/test/speech/sv", headers=device, json={"texts": texts}, timeout=60)
        assert asked.status_code == 200 and asked.json()["clips"] is True
        handed_out = [url for urls in asked.json()["texts"] if urls for url in urls]
        assert handed_out and all(httpx.get(f"{base}{url}").status_code == 200 for url in handed_out)

        gate.touch()  # espeak-ng goes on: the build finishes in the background
        wait_for(lambda: answers(digit_zero) == 200, "the background build did not make digit-0")
    finally:
        gate.touch()  # never leave a stand-in waiting
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert "speech: sv: generating" in output, output
    made = list((cache / "sv").iterdir())
    assert made and all(CLIP_NAME.match(p.stem) and p.suffix == ".wav" and clip_problems(p) is None
                        for p in made), sorted(p.name for p in made if not CLIP_NAME.match(p.stem))
