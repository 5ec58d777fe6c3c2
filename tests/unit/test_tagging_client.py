"""Where the Tagging API client points: the tag reads batch through the same endpoint as
Personalize when that is not AWS's (the emulator, a test server), AWS's own otherwise, and an
explicit AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API always wins. Building a client calls nothing."""

from __future__ import annotations

import pytest

from perso_iac.aws import AwsSettings, make_client, make_tagging_client

LOCAL = "http://127.0.0.1:4566"


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_PERSONALIZE", "AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")


@pytest.mark.parametrize("personalize_endpoint, tagging_env, expected", [
    (None, None, "https://tagging.eu-west-1.amazonaws.com"),
    (LOCAL, None, LOCAL),
    (LOCAL, "http://127.0.0.1:9999", "http://127.0.0.1:9999"),
    ("https://personalize.eu-west-1.amazonaws.com", None, "https://tagging.eu-west-1.amazonaws.com"),
])
def test_the_tagging_client_follows_the_personalize_endpoint(monkeypatch, personalize_endpoint, tagging_env,
                                                             expected):
    if tagging_env:
        monkeypatch.setenv("AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API", tagging_env)
    settings = AwsSettings(region="eu-west-1", personalize_endpoint=personalize_endpoint)
    personalize = make_client("personalize", settings)
    tagging = make_tagging_client(settings, personalize)
    assert tagging.meta.endpoint_url == expected
    assert tagging.meta.region_name == "eu-west-1"


def test_local_runs_never_send_the_users_credentials_to_the_tagging_api():
    settings = AwsSettings(region="us-east-1", personalize_endpoint=LOCAL, local=True)
    tagging = make_tagging_client(settings, make_client("personalize", settings))
    assert tagging._request_signer._credentials.access_key == "local"
