"""Temporary upload files of a request that died are removed: a killed web worker's at once
(gunicorn's master), anything older than the longest upload by the periodic clean-up."""

import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from records.services.uploads import upload_temp_cleanup
from records.uploads import StreamedUpload


@pytest.fixture
def temp_dir(settings, tmp_path) -> Path:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def _left_behind(directory: Path, pid: int, age: float = 0.0) -> Path:
    path = directory / f"cfx-upload-{pid}-abc123.upload"
    path.write_bytes(b"patient scan")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_an_upload_in_progress_is_named_after_its_web_process(temp_dir):
    upload = StreamedUpload("scan.pdf", "application/pdf", 0, None)
    try:
        assert Path(upload.temporary_file_path()).name.startswith(f"cfx-upload-{os.getpid()}-")
        assert Path(upload.temporary_file_path()).parent == temp_dir
    finally:
        upload.close()


def test_a_dead_workers_files_go_and_the_others_stay(temp_dir):
    dead = _left_behind(temp_dir, 4242)
    alive = _left_behind(temp_dir, 4243)
    assert upload_temp_cleanup(pid=4242) == 1
    assert not dead.exists() and alive.exists()


def test_the_periodic_clean_up_removes_only_files_older_than_the_longest_upload(
    temp_dir, settings
):
    old = _left_behind(temp_dir, 1, age=settings.UPLOAD_TEMP_MAX_AGE + 60)
    recent = _left_behind(temp_dir, 2, age=60)
    unrelated = temp_dir / "someone-elses.tmp"
    unrelated.write_bytes(b"x")
    os.utime(unrelated, (0, 0))
    assert upload_temp_cleanup() == 1
    assert not old.exists() and recent.exists() and unrelated.exists()


def test_gunicorns_master_cleans_up_after_a_worker_that_exits(temp_dir):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    )
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.preload_app is True
    left = _left_behind(temp_dir, 777)
    conf.child_exit(server=None, worker=SimpleNamespace(pid=777))
    assert not left.exists()
