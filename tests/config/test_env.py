from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_base_url, env_bool, env_int, env_list, env_str


def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_FLAG", "Yes")
    assert env_bool("ACCORD_FLAG", False) is True
    monkeypatch.setenv("ACCORD_FLAG", "off")
    assert env_bool("ACCORD_FLAG", True) is False


def test_env_bool_refuses_a_typo_instead_of_guessing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_FLAG", "yse")
    with pytest.raises(ImproperlyConfigured, match="ACCORD_FLAG='yse' is not a boolean"):
        env_bool("ACCORD_FLAG", False)


def test_env_int_refuses_words_and_values_below_the_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("ACCORD_N", 1)
    monkeypatch.setenv("ACCORD_N", "-3")
    with pytest.raises(ImproperlyConfigured, match="below 0"):
        env_int("ACCORD_N", 1, minimum=0)


def test_a_required_variable_that_is_missing_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="ACCORD_MISSING is required"):
        env_str("ACCORD_MISSING")


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_HOSTS", "a.example, b.example,,")
    assert env_list("ACCORD_HOSTS", []) == ["a.example", "b.example"]


def test_env_int_refuses_values_above_the_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_N", "1000")
    with pytest.raises(ImproperlyConfigured, match="ACCORD_N=1000 is above 100"):
        env_int("ACCORD_N", 1, minimum=1, maximum=100)
    monkeypatch.setenv("ACCORD_N", "100")
    assert env_int("ACCORD_N", 1, minimum=1, maximum=100) == 100


def test_env_base_url_takes_an_absolute_address_and_refuses_anything_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_URL", "https://accord.example.org/")
    assert env_base_url("ACCORD_URL", None) == "https://accord.example.org"
    for wrong in (
        "accord.example.org",
        "ftp://accord.example.org",
        "https://",
        "https://a.org/?x=1",
    ):
        monkeypatch.setenv("ACCORD_URL", wrong)
        with pytest.raises(ImproperlyConfigured, match=r"ACCORD_URL=.* is not an absolute"):
            env_base_url("ACCORD_URL", None)
