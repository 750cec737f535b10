"""API tokens: issued by password, refused once expired, revoked by their owner; anonymous
calls answer 401 with a WWW-Authenticate challenge."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def test_an_anonymous_call_answers_401_with_a_token_challenge(db) -> None:
    response = APIClient().get("/api/v1/partners/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_signed_in_user_without_a_role_still_gets_403(personas, api) -> None:
    response = api(personas.outsider).get("/api/v1/partners/")
    assert response.status_code == 403


def test_the_token_says_when_it_expires(personas, settings) -> None:
    settings.ACCORD_API_TOKEN_TTL_HOURS = 24
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        response = APIClient().post(TOKEN_URL, {"username": "maria", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["expires_at"] == "2026-03-03T09:00:00Z"


def test_an_expired_token_answers_401_and_signing_in_again_issues_a_new_one(
    personas, settings
) -> None:
    settings.ACCORD_API_TOKEN_TTL_HOURS = 24
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as clock:
        old = APIClient().post(TOKEN_URL, {"username": "maria", "password": PASSWORD}).json()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {old['token']}")
        assert client.get("/api/v1/partners/").status_code == 200

        clock.shift(timedelta(hours=24))
        response = client.get("/api/v1/partners/")
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
        assert response["WWW-Authenticate"] == "Token"

        # The stale header does not stand in the way of asking for a new token.
        renewed = client.post(TOKEN_URL, {"username": "maria", "password": PASSWORD}).json()
        assert renewed["token"] != old["token"]
        assert renewed["expires_at"] == "2026-03-04T09:00:00Z"
        client.credentials(HTTP_AUTHORIZATION=f"Token {renewed['token']}")
        assert client.get("/api/v1/partners/").status_code == 200


def test_tokens_never_expire_with_a_ttl_of_zero(personas, settings) -> None:
    settings.ACCORD_API_TOKEN_TTL_HOURS = 0
    token = Token.objects.create(user=personas.lo)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=3650))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/partners/").status_code == 200
    assert (
        client.post(TOKEN_URL, {"username": "maria", "password": PASSWORD}).json()["expires_at"]
        is None
    )


def test_the_owner_revokes_their_token_and_it_stops_working(personas, api) -> None:
    client = api(personas.lo)
    other = api(personas.other_lo)
    assert client.delete(TOKEN_URL).status_code == 204
    assert client.get("/api/v1/partners/").status_code == 401
    assert not Token.objects.filter(user=personas.lo).exists()
    # Only the caller's own token goes.
    assert other.get("/api/v1/partners/").status_code == 200
    # Twice: nothing more happens, and the caller is no longer signed in.
    assert client.delete(TOKEN_URL).status_code == 401


def test_a_session_user_may_revoke_their_token_too(personas, client) -> None:
    Token.objects.create(user=personas.lo)
    client.force_login(personas.lo)
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=personas.lo).exists()


def test_revoking_needs_a_signed_in_caller(db) -> None:
    response = APIClient().delete(TOKEN_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
