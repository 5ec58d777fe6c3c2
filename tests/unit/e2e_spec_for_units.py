"""A minimal valid spec with a gated campaign, for unit tests of the promotion gate."""

from __future__ import annotations

import textwrap


def gated_spec(gate: str) -> str:
    return textwrap.dedent("""\
        version: 1
        stack: gate
        schemas:
          i:
            schema:
              type: record
              name: Interactions
              namespace: com.amazonaws.personalize.schema
              version: "1.0"
              fields:
                - {name: USER_ID, type: string}
                - {name: ITEM_ID, type: string}
                - {name: TIMESTAMP, type: long}
        dataset_groups:
          g:
            datasets:
              interactions: {datasetType: Interactions, schema: i}
            solutions:
              up: {recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization-v2", performAutoTraining: false}
            campaigns:
              main:
                solution: up
                minProvisionedTPS: 1
                promotion: {GATE}
        """).replace("{GATE}", "{" + gate + "}")
