"""The check that a sandbox left the host's device nodes as they were (support/hygiene.py),
on a null device node of the test's own: a chown like runsc's is seen, said, and put back."""

from __future__ import annotations

import os
import stat

import pytest

from support import hygiene

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")


@pytest.fixture
def node(tmp_path, monkeypatch):
    path = tmp_path / "null"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.chmod(path, 0o666)        # mknod's mode is under the umask
    monkeypatch.setattr(hygiene, "HOST_DEVICES", (str(path),))
    return path


def test_an_untouched_node_is_no_change(node):
    before = hygiene.host_devices()
    assert hygiene.devices_changed(before, hygiene.host_devices()) == []


def test_a_chowned_node_is_said_and_put_back(node):
    before = hygiene.host_devices()
    os.chown(node, 65534, 65534)
    changed = hygiene.devices_changed(before, hygiene.host_devices())
    assert changed == [f"{node}: owner 0:0 mode 0o20666 -> owner 65534:65534 mode 0o20666"]
    hygiene.restore_devices(before)
    assert hygiene.devices_changed(before, hygiene.host_devices()) == []


def test_a_chmodded_node_is_said_and_put_back(node):
    before = hygiene.host_devices()
    os.chmod(node, 0)
    assert hygiene.devices_changed(before, hygiene.host_devices())
    hygiene.restore_devices(before)
    assert stat.S_IMODE(os.stat(node).st_mode) == 0o666
