"""The impact of replacements and deletions in a plan, end to end: what is unavailable and for
about how long, which identities change and who must pick them up, per-type wording of what is lost."""

from __future__ import annotations

import json
from pathlib import Path

from perso_iac.resources.registry import REGISTRY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_replaced_campaign_states_its_outage_and_its_new_arn(stack):
    assert stack.perso("apply", "--auto-approve").exit_code == 0
    result = stack.perso("plan", "--format", "json", "--var", "recipe=aws-personalized-ranking-v2")
    doc = json.loads(result.output)
    changes = {c["address"]: c for c in doc["resource_changes"]}
    impact = changes["campaign.e2e.main"]["impact"]
    # The new campaign waits for the new solution's training: both typical durations add up.
    at_least = REGISTRY["campaign"].impact.typical_create + REGISTRY["solution_version"].impact.typical_create
    assert impact["typical_window_seconds"] >= at_least
    assert "solution_version.e2e.up" in impact["waits_for"]
    assert impact["changes_identities"] == ["campaign ARN"]
    assert "campaignArn" in impact["pick_up"]
    assert changes["solution_version.e2e.up"]["impact"] is None        # an intent: nothing destroyed

    text = " ".join(stack.perso("plan", "--var", "recipe=aws-personalized-ranking-v2").output.split())
    assert "# impact: real-time recommendations: GetRecommendations/GetPersonalizedRanking with its ARN fail, " \
           "for about 56 min" in text  # mostly a 40-min training, then a 10-min campaign
    assert "new campaign ARN: update apps passing campaignArn" in text
    assert "campaign.e2e.main (replaced): the serving endpoint" in text
    assert "data, models and endpoints are lost" not in text


def test_filters_and_trackers_say_what_is_really_at_risk(stack):
    spec = (EXAMPLES / "tracking" / "perso.yaml").read_text()
    stack.spec.write_text(spec)
    applied = stack.perso("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    changed = spec.replace('IN ("click", "purchase")', 'IN ("purchase")').replace("      web: {}", "      app: {}").replace(
        "event_tracker.site.web.", "event_tracker.site.app.")
    assert changed != spec
    stack.spec.write_text(changed)
    text = " ".join(stack.perso("plan").output.split())
    assert "filter.site.unseen (replaced): nothing stored: a short window without the filter" in text
    assert "requests passing its filterArn fail (requests without it are served unfiltered), for about" in text
    assert "event_tracker.site.web (deleted): the trackingId your apps send events with" in text

    markdown = stack.perso("plan", "--format", "markdown").output
    assert "**Impact:** requests passing its filterArn fail" in markdown
    assert "data, models and endpoints are lost" not in markdown
