"""collect(): copy every static file into STATIC_ROOT, skip unchanged ones, refuse bad roots."""

from __future__ import annotations

import pytest

from duck.conf import settings
from duck.exceptions import ImproperlyConfigured
from duck.staticfiles import collect, iter_files


def test_every_file_is_copied_keeping_relative_paths(tmp_path):
    result = collect()
    root = tmp_path / "collected"
    assert result.root == root.resolve()
    assert (root / "css" / "site.css").read_bytes() == b"body { color: red; }"
    assert (root / "extra" / "only-here.txt").read_bytes() == b"second only"
    assert sorted(result.copied) == sorted(relative for relative, _ in iter_files())
    assert result.unmodified == []


def test_duplicates_come_from_the_first_folder(tmp_path):
    collect()
    assert (tmp_path / "collected" / "shared.txt").read_bytes() == b"from first"


def test_hidden_and_backup_files_are_not_collected(tmp_path):
    collect()
    assert not (tmp_path / "collected" / ".env").exists()
    assert not (tmp_path / "collected" / "notes.txt~").exists()


def test_second_run_copies_only_what_changed(static_dirs):
    first = collect()
    (static_dirs[0] / "css" / "site.css").write_bytes(b"body { color: blue; }!")
    second = collect()
    assert second.copied == ["css/site.css"]
    assert len(second.unmodified) == len(first.copied) - 1


def test_clear_removes_files_no_longer_in_any_folder(tmp_path):
    stale = tmp_path / "collected" / "old" / "gone.css"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    result = collect(clear=True)
    assert not stale.exists()
    assert result.cleared == 1
    assert (tmp_path / "collected" / "css" / "site.css").exists()


def test_missing_static_folders_are_reported_not_fatal(tmp_path, static_dirs):
    with settings.override(STATICFILES_DIRS=[static_dirs[0], tmp_path / "nope"]):
        result = collect()
    assert result.missing_dirs == [tmp_path / "nope"]
    assert "css/site.css" in result.copied


def test_unset_static_root_is_improperly_configured():
    with settings.override(STATIC_ROOT=""), pytest.raises(ImproperlyConfigured, match="STATIC_ROOT is not set"):
        collect()


def test_static_root_inside_a_static_folder_is_refused(static_dirs):
    with settings.override(STATIC_ROOT=static_dirs[0] / "collected"), pytest.raises(ImproperlyConfigured):
        collect()
