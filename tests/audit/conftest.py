"""The audit tests start with no anchor files: the exports folder outlives each test."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def no_anchors(app: Flask) -> Iterator[Path]:
    folder = Path(app.config["EXPORTS_DIR"]) / "anchors"
    shutil.rmtree(folder, ignore_errors=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
