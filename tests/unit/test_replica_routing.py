"""Where a lag-tolerant read goes: the replica's lag as two upper bounds, the write's WAL
position a client carries, and the choice between replica and primary (no database)."""

from __future__ import annotations

import pytest

from service.api.guards.read_after_write import cookie_lsn
from service.db.replica import ReplicaState, choose_read_engine, lag_estimate_s, parse_lsn


def test_a_wal_position_is_its_two_hex_halves():
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")


def test_a_replica_that_replayed_what_the_primary_had_written_has_no_lag():
    lag = lag_estimate_s(primary_lsn=100, replayed_lsn=100, replay_age_s=3600.0, samples=[], now=9)
    assert lag == 0.0


def test_the_lag_is_the_smaller_of_the_replay_age_and_the_time_since_a_caught_up_check():
    # The last transaction replayed is an hour old (an idle primary), but a check 0.5 s
    # ago saw the primary at 90, which the replica has replayed: at most 0.5 s is missing.
    samples = [(10.0, 50), (19.5, 90), (19.8, 120)]
    lag = lag_estimate_s(
        primary_lsn=130, replayed_lsn=95, replay_age_s=3600.0, samples=samples, now=20.0
    )
    assert lag == pytest.approx(0.5)
    # A replica whose last replayed commit is younger than any caught-up check: that age.
    lag = lag_estimate_s(
        primary_lsn=130, replayed_lsn=95, replay_age_s=0.2, samples=samples, now=20.0
    )
    assert lag == pytest.approx(0.2)


def test_a_lag_with_no_bound_known_is_infinite():
    lag = lag_estimate_s(
        primary_lsn=130, replayed_lsn=95, replay_age_s=None, samples=[(1.0, 120)], now=2.0
    )
    assert lag == float("inf")


def test_the_cookie_names_a_hex_wal_position_or_nothing():
    assert cookie_lsn("16B374D848") == 0x16B374D848
    for bad in (None, "", "16/B374D848", "xyz", "1" * 17, "-1"):
        assert cookie_lsn(bad) is None


class _Guard:
    def __init__(self, state: ReplicaState) -> None:
        self._state = state

    def state(self) -> ReplicaState:
        return self._state


PRIMARY, REPLICA = object(), object()


@pytest.mark.parametrize(
    ("state", "after_lsn", "expected"),
    [
        (ReplicaState(True, 0.2, 500), None, REPLICA),
        (ReplicaState(True, 0.2, 500), 500, REPLICA),  # replayed the client's write
        (ReplicaState(True, 0.2, 500), 501, PRIMARY),  # not yet: the writer reads its write
        (ReplicaState(False, 90.0, 500, "90 s behind"), None, PRIMARY),
        (ReplicaState(False, None, None, "unreachable"), None, PRIMARY),
    ],
)
def test_a_read_goes_to_the_replica_only_when_it_is_usable_and_has_the_clients_write(
    state, after_lsn, expected
):
    chosen = choose_read_engine(PRIMARY, REPLICA, _Guard(state), after_lsn=after_lsn)
    assert chosen is expected


def test_without_a_replica_every_read_goes_to_the_primary():
    assert choose_read_engine(PRIMARY, PRIMARY, None, after_lsn=7) is PRIMARY
