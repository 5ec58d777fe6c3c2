"""The small stack the end-to-end tests apply (in its own module so tests can import it by a
name no other test directory uses)."""

from __future__ import annotations

import textwrap

SPEC = textwrap.dedent("""\
    version: 1
    stack: e2e
    variables:
      tps: {default: 1, type: integer}
      recipe: {default: aws-user-personalization-v2}
    schemas:
      e2e-interactions:
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
      e2e:
        tags: {team: recs}
        datasets:
          interactions:
            datasetType: Interactions
            schema: e2e-interactions
            import:
              dataSource: {dataLocation: "s3://perso-e2e/interactions.csv"}
              roleArn: arn:aws:iam::123456789012:role/PersonalizeS3
        solutions:
          up:
            recipeArn: arn:aws:personalize:::recipe/${var.recipe}
            performAutoTraining: false
        campaigns:
          main:
            solution: up
            minProvisionedTPS: ${var.tps}
    """)
