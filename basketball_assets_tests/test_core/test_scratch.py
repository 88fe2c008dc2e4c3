"""Which scratch folders and partial files are leftovers to remove (pure)."""

import pytest

from basketball_assets.core.scratch import (
    Leftover,
    Owner,
    Removed,
    is_partial_write,
    same_host,
    scratch_owner,
    scratch_prefix,
    stale,
)

HOUR = 3600.0


def test_a_scratch_folder_name_says_which_process_on_which_host_made_it():
    name = scratch_prefix("worker-7.pod.cluster.local", 4242) + "k3j_x9"

    assert scratch_owner(name) == Owner("worker-7-pod-cluster-local", 4242)
    assert same_host(scratch_owner(name), "worker-7.pod.cluster.local")
    assert not same_host(scratch_owner(name), "worker-8")


@pytest.mark.parametrize("name", ["tmpk3j_x9", "host.notapid.x", "a.1", ".1.x", "a.1.b.c"])
def test_a_folder_named_otherwise_has_no_known_owner(name):
    assert scratch_owner(name) is None


def test_partial_writes_are_the_hidden_part_files():
    assert is_partial_write(".p1_broadcast.mp4.a8f_3k.part")
    assert not is_partial_write("p1_broadcast.mp4")
    assert not is_partial_write("notes.part")  # not hidden: a user's file, not ours


def test_only_old_leftovers_of_no_live_process_go():
    old_dead = Leftover("/s/host.1.a", 7 * HOUR, 1, 100, owner_alive=False)
    old_unknown = Leftover("/d/.x.mp4.q.part", 7 * HOUR, 1, 50)
    old_live = Leftover("/s/host.2.b", 30 * HOUR, 2, 10, owner_alive=True)  # a long run: never removed
    fresh_dead = Leftover("/s/host.3.c", 0.5 * HOUR, 1, 10, owner_alive=False)  # within the bound: kept
    fresh = Leftover("/d/.y.mp4.r.part", 60.0, 1, 10)

    assert stale([old_dead, old_unknown, old_live, fresh_dead, fresh], max_age_s=6 * HOUR) == [old_dead, old_unknown]


def test_what_was_removed_is_counted_and_said():
    removed = Removed.of([Leftover("a", 1, 2, 1_500_000), Leftover("b", 1, 1, 24)])

    assert removed == Removed(items=2, files=3, size=1_500_024)
    assert removed.describe("/data", 6 * HOUR) == (
        "removed 2 scratch folders and partial files (3 files, 1,500,024 bytes) older than 6 h, "
        "left by runs that ended, from /data"
    )
    assert Removed.of([]) == Removed()


def test_a_long_host_name_is_cut_to_64_characters_and_an_empty_one_reads_host():
    assert scratch_prefix("a" * 70, 1) == "a" * 64 + ".1."
    assert scratch_prefix("", 5) == "host.5."
    assert same_host(Owner("host", 5), "")


def test_a_leftover_exactly_at_the_bound_is_kept():
    at_bound = Leftover("/s/host.1.a", 6 * HOUR, 1, 100, owner_alive=False)
    assert stale([at_bound], max_age_s=6 * HOUR) == []
