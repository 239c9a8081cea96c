"""A 200 MB upload must not need 200 MB of memory: it streams to disk in chunks."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_200_mb_upload_encrypted_at_rest_raises_peak_memory_by_less_than_16_mb(capsys):
    # A fresh process (see memory_probe.py): this one's heap is shaped by earlier tests.
    result = subprocess.run(
        [sys.executable, "-m", "tests.records.memory_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\n200 MB upload: peak RSS grew by {figures['rss_growth_mb']} MB")
    assert figures["status"] == 201
    assert figures["stored_bytes"] == figures["expected_bytes"]
    assert figures["encrypted"]
    assert figures["rss_growth_mb"] < 16
