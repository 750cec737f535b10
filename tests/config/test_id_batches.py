"""Ids read in batches that each fit the backend's bound-parameter limit."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from config.db import id_batches


def test_ids_come_sorted_distinct_and_in_batches_under_the_parameter_limit() -> None:
    with mock.patch.object(
        type(connection.features), "max_query_params", property(lambda features: 105)
    ):
        batches = list(id_batches([7, 3, 3, *range(20, 12, -1)]))
    assert batches == [[3, 7, 13, 14, 15], [16, 17, 18, 19, 20]]


@pytest.mark.django_db
def test_no_ids_make_no_batch_and_the_real_limit_takes_one_large_register_at_once() -> None:
    assert list(id_batches([])) == []
    assert [len(b) for b in id_batches(range(20_000))] == [20_000]
