"""Table-driven: a bad spec -> the exact problem (dotted path, message, line).

Each case is either a complete spec (starting with `version:`) or text appended to BASE, which
ends inside dataset group `g` so that appended group sections start at line 10, indented 4.
Unless a case says otherwise, it must produce exactly one problem: one mistake, one message.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from perso_iac.errors import SpecError, SpecValidationError
from perso_iac.spec.loader import load_spec

BASE = """\
version: 1
stack: s
schemas:
  inter:
    schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}]}
dataset_groups:
  g:
    datasets:
      i: {datasetType: Interactions, schema: inter}
"""
BASE_DATASETS = "".join(BASE.splitlines(keepends=True)[:8])  # ends with "    datasets:"
UP = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
SOL = f"""\
    solutions:
      up: {{recipeArn: "{UP}", performAutoTraining: false}}
"""  # lines 10-11


def full(text: str) -> str:
    return textwrap.dedent(text)


@dataclass
class Case:
    id: str
    spec: str
    path: str
    message: str
    line: int
    hint: str | None = None
    count: int | None = 1
    col: int | None = None
    base: str = "group"  # "group": appended to BASE; "datasets": BASE's datasets: block, from line 9


CASES = [
    # -- structure (JSON Schema) -------------------------------------------------------------------
    Case("unknown key with did-you-mean", "    solutins: {}\n", "dataset_groups.g.solutins",
         "unknown key 'solutins'", 10, hint="did you mean 'solutions'?", col=5),
    Case("unknown top-level key", full("""\
        version: 1
        stack: s
        dataset_group: {}
        """), "dataset_group", "unknown key 'dataset_group'", 3, hint="did you mean 'dataset_groups'?"),
    Case("performAutoTraining must be explicit", f"""\
    solutions:
      up: {{recipeArn: "{UP}"}}
""", "dataset_groups.g.solutions.up", "missing required key 'performAutoTraining'", 11,
         hint="every 7 days"),
    Case("minProvisionedTPS must be explicit", SOL + """\
    campaigns:
      main: {solution: up}
""", "dataset_groups.g.campaigns.main", "missing required key 'minProvisionedTPS'", 13,
         hint="TPS"),
    Case("wrong type", SOL + """\
    campaigns:
      main: {solution: up, minProvisionedTPS: two}
""", "dataset_groups.g.campaigns.main.minProvisionedTPS", "expected an integer, got 'two'", 13),
    Case("minimum", SOL + """\
    campaigns:
      main: {solution: up, minProvisionedTPS: 0}
""", "dataset_groups.g.campaigns.main.minProvisionedTPS", "less than the minimum of 1", 13),
    Case("enum with did-you-mean", """\
      i:
        datasetType: Interactions
        schema: inter
        import: {dataSource: {dataLocation: "s3://b/x.csv"}, importMode: FUL}
""", "dataset_groups.g.datasets.i.import.importMode", "'FUL' is not one of FULL, INCREMENTAL", 12,
         hint="did you mean 'FULL'?", base="datasets"),
    Case("version must be 1", full("""\
        version: 2
        stack: s
        """), "version", "must be 1, got integer 2", 1),
    Case("version required", full("""\
        stack: s
        """), "", "missing required key 'version'", 1),
    Case("invalid stack name", full("""\
        version: 1
        stack: my stack
        """), "stack", "invalid stack name 'my stack'", 2),
    Case("invalid resource key", full("""\
        version: 1
        stack: s
        dataset_groups:
          my.group: {}
        """), "dataset_groups.my.group", "invalid key 'my.group'", 4),
    Case("duplicate key", full("""\
        version: 1
        stack: s
        stack: t
        """), "stack", "duplicate key 'stack'", 3, hint="already set at line 2"),
    Case("spec is not a mapping", full("""\
        - version: 1
        """), "", "the spec is not a mapping", 1),
    Case("ignore_changes must be a list or all", """\
    lifecycle: {ignore_changes: some}
""", "dataset_groups.g.lifecycle.ignore_changes", "must be a list or \"all\"", 10),
    Case("ignore_changes names a parameter", SOL + """\
    campaigns:
      main:
        solution: up
        minProvisionedTPS: 1
        lifecycle: {ignore_changes: [minProvisionedTps]}
""", "dataset_groups.g.campaigns.main.lifecycle.ignore_changes[0]", "not a parameter of a campaign", 16,
         hint="did you mean 'minProvisionedTPS'?"),
    Case("backend needs exactly one kind", full("""\
        version: 1
        stack: s
        backend:
          local: {path: a.json}
          s3: {bucket: my-bucket, key: k}
        """), "backend", "exactly one of 'local' and 's3'", 4),
    Case("s3 backend bucket name", full("""\
        version: 1
        stack: s
        backend:
          s3: {bucket: My_Bucket, key: k}
        """), "backend.s3.bucket", "invalid S3 bucket name", 4),
    # -- references --------------------------------------------------------------------------------
    Case("unknown schema reference", """\
      i: {datasetType: Interactions, schema: intr}
""", "dataset_groups.g.datasets.i.schema", "unknown schema 'intr'", 9, hint="did you mean 'inter'?",
         base="datasets"),
    Case("campaign solution in the same group", SOL + """\
    campaigns:
      main: {solution: upp, minProvisionedTPS: 1}
""", "dataset_groups.g.campaigns.main.solution", "no solution 'upp' in dataset group 'g'", 13,
         hint="did you mean 'up'?"),
    Case("campaign solution from another group", SOL + """\
  h:
    campaigns:
      main: {solution: up, minProvisionedTPS: 1}
""", "dataset_groups.h.campaigns.main.solution", "no solution 'up' in dataset group 'h'", 14,
         hint="define it under solutions"),
    Case("output names an unknown resource", full("""\
        version: 1
        stack: s
        dataset_groups:
          g: {}
        outputs:
          arn: {value: "${campaign.g.main.arn}"}
        """), "outputs.arn.value", "no resource 'campaign.g.main'", 6),
    Case("output names an unknown attribute", full("""\
        version: 1
        stack: s
        dataset_groups:
          g: {}
        outputs:
          arn: {value: "${dataset_group.g.trackingId}"}
        """), "outputs.arn.value", "a dataset group has no attribute 'trackingId'", 6, hint="arn"),
    Case("output with text before a reference", full("""\
        version: 1
        stack: s
        dataset_groups:
          g: {}
        outputs:
          arn: {value: "x-${dataset_group.g.arn}"}
        """), "outputs.arn.value", "an output value is a literal, or one reference", 6),
    # -- names -------------------------------------------------------------------------------------
    Case("invalid AWS name", """\
    name: "my group"
""", "dataset_groups.g.name", "invalid dataset group name 'my group'", 10),
    Case("AWS name too long", f"""\
    name: {"a" * 64}
""", "dataset_groups.g.name", "is 64 characters long; AWS allows 63", 10),
    Case("default nested name too long", full(f"""\
        version: 1
        stack: s
        dataset_groups:
          {"g" * 60}:
            event_trackers:
              tracker: {{}}
        """), f"dataset_groups.{'g' * 60}.event_trackers.tracker", "is 68 characters long", 6,
         hint="set name: to a shorter name", col=7),
    Case("names unique per type", f"""\
    solutions:
      a: {{recipeArn: "{UP}", performAutoTraining: false, name: same}}
      b: {{recipeArn: "{UP}", performAutoTraining: false, name: same}}
""", "dataset_groups.g.solutions.b.name", "solution name 'same' is already used by dataset_groups.g.solutions.a",
         12),
    Case("dataset group names unique", full("""\
        version: 1
        stack: s
        dataset_groups:
          g: {}
          x:
            name: g
        """), "dataset_groups.x.name", "dataset group name 'g' is already used by dataset_groups.g", 6),
    Case("names of different types may repeat", full("""\
        version: 1
        stack: s
        schemas:
          g:
            schema: {type: record, name: Items, fields: [{name: ITEM_ID, type: string}, {name: X, type: int}]}
        dataset_groups:
          g:
            event_trackers:
              t: {name: g}
            filters:
              f: {name: g, filterExpression: ""}
        """), "dataset_groups.g.filters.f.filterExpression", "filterExpression is empty", 11),
    # -- datasets ----------------------------------------------------------------------------------
    Case("one dataset per type per group", """\
      j: {datasetType: interactions, schema: inter}
""", "dataset_groups.g.datasets.j.datasetType", "already has an Interactions dataset ('i')", 10),
    Case("unknown dataset type", """\
      j: {datasetType: Interaction-data, schema: inter}
""", "dataset_groups.g.datasets.j.datasetType", "unknown datasetType 'Interaction-data'", 10),
    Case("actions dataset in a domain group", full("""\
        version: 1
        stack: s
        schemas:
          act:
            domain: ECOMMERCE
            schema: {type: record, name: Actions, fields: [{name: ACTION_ID, type: string}, {name: X, type: int}]}
        dataset_groups:
          g:
            domain: ECOMMERCE
            datasets:
              a: {datasetType: Actions, schema: act}
        """), "dataset_groups.g.datasets.a.datasetType", "can't be created in a domain (ECOMMERCE) dataset group",
         11),
    Case("schema domain must match the group's", full("""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}, {name: EVENT_TYPE, type: string}]}
        dataset_groups:
          g:
            domain: VIDEO_ON_DEMAND
            datasets:
              i: {datasetType: Interactions, schema: inter}
        """), "dataset_groups.g.datasets.i.schema", "schema 'inter' has domain none but dataset group 'g' has "
                                                     "domain VIDEO_ON_DEMAND", 10),
    Case("import S3 location", """\
      i:
        datasetType: Interactions
        schema: inter
        import: {dataSource: {dataLocation: "bucket/x.csv"}}
""", "dataset_groups.g.datasets.i.import.dataSource.dataLocation", "invalid S3 location 'bucket/x.csv'", 12,
         base="datasets"),
    Case("import role ARN", """\
      i:
        datasetType: Interactions
        schema: inter
        import: {dataSource: {dataLocation: "s3://b/x.csv"}, roleArn: "arn:aws:iam::12345:role/x"}
""", "dataset_groups.g.datasets.i.import.roleArn", "invalid roleArn", 12, hint="arn:aws:iam::123456789012",
         base="datasets"),
    Case("group kmsKeyArn", """\
    kmsKeyArn: "arn:aws:kms:us-east-1:1234:key/x"
""", "dataset_groups.g.kmsKeyArn", "invalid kmsKeyArn", 10),
    Case("group roleArn only with kmsKeyArn", """\
    roleArn: "arn:aws:iam::123456789012:role/x"
""", "dataset_groups.g.roleArn", "only used with kmsKeyArn", 10),
    # -- Avro --------------------------------------------------------------------------------------
    Case("schema misses a required field for its dataset type", full("""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}]}
        dataset_groups:
          g:
            datasets:
              i: {datasetType: Interactions, schema: inter}
        """), "dataset_groups.g.datasets.i.schema", "needs the field TIMESTAMP (long)", 9),
    Case("required field names are case-sensitive", full("""\
        version: 1
        stack: s
        schemas:
          users:
            schema: {type: record, name: Users, fields: [{name: user_id, type: string}, {name: AGE, type: int}]}
        dataset_groups:
          g:
            datasets:
              u: {datasetType: Users, schema: users}
        """), "dataset_groups.g.datasets.u.schema", "needs the field USER_ID", 9,
         hint="rename 'user_id' to 'USER_ID'"),
    Case("users need a metadata field", full("""\
        version: 1
        stack: s
        schemas:
          users:
            schema: {type: record, name: Users, fields: [{name: USER_ID, type: string}]}
        dataset_groups:
          g:
            datasets:
              u: {datasetType: Users, schema: users}
        """), "dataset_groups.g.datasets.u.schema", "needs at least 1 metadata field", 9),
    Case("reserved field type", full("""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}, {name: EVENT_VALUE, type: string}]}
        dataset_groups:
          g:
            datasets:
              i: {datasetType: Interactions, schema: inter}
        """), "dataset_groups.g.datasets.i.schema", "EVENT_VALUE is a reserved field of an Interactions dataset "
                                                     "and must be float, not string", 9),
    Case("required field can't be null", full("""\
        version: 1
        stack: s
        schemas:
          inter:
            schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: ["null", long]}]}
        dataset_groups:
          g:
            datasets:
              i: {datasetType: Interactions, schema: inter}
        """), "dataset_groups.g.datasets.i.schema", "TIMESTAMP is a required field of an Interactions dataset "
                                                     "and can't be null", 9),
    Case("textual only in items", full("""\
        version: 1
        stack: s
        schemas:
          users:
            schema: {type: record, name: Users, fields: [{name: USER_ID, type: string}, {name: BIO, type: string, textual: true}]}
        dataset_groups:
          g:
            datasets:
              u: {datasetType: Users, schema: users}
        """), "dataset_groups.g.datasets.u.schema", "textual fields are allowed only in Items datasets", 9),
    Case("domain interactions need EVENT_TYPE", full("""\
        version: 1
        stack: s
        schemas:
          inter:
            domain: ECOMMERCE
            schema: {type: record, name: Interactions, fields: [{name: USER_ID, type: string}, {name: ITEM_ID, type: string}, {name: TIMESTAMP, type: long}]}
        dataset_groups:
          g:
            domain: ECOMMERCE
            datasets:
              i: {datasetType: Interactions, schema: inter}
        """), "dataset_groups.g.datasets.i.schema", "needs the field EVENT_TYPE", 11),
    Case("nested Avro type, located at the field", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema:
              type: record
              name: Items
              fields:
                - {name: ITEM_ID, type: string}
                - {name: TAGS, type: {type: array, items: string}}
        """), "schemas.items.schema.fields[1].type", "nested type 'array' is not supported", 10),
    Case("unsupported primitive", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema:
              type: record
              name: Items
              fields:
                - {name: ITEM_ID, type: string}
                - {name: BLOB, type: bytes}
        """), "schemas.items.schema.fields[1].type", "unsupported field type 'bytes'", 10),
    Case("union of two types", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema:
              type: record
              name: Items
              fields:
                - {name: ITEM_ID, type: string}
                - {name: X, type: [string, int]}
        """), "schemas.items.schema.fields[1].type", "a union must be null plus one type", 10),
    Case("field names clash alphanumerically", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema:
              type: record
              name: Items
              fields:
                - {name: ITEM_ID, type: string}
                - {name: GENRES_FIELD_1, type: string, categorical: true}
                - {name: genresfield1, type: string, categorical: true}
        """), "schemas.items.schema.fields[2].name", "clashes with 'GENRES_FIELD_1'", 11),
    Case("not a record", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema: {type: enum, name: Items, fields: [{name: ITEM_ID, type: string}]}
        """), "schemas.items.schema.type", "the schema's type must be 'record'", 5),
    Case("categorical only on strings", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema:
              type: record
              name: Items
              fields:
                - {name: ITEM_ID, type: string}
                - {name: PRICE, type: float, categorical: true}
        """), "schemas.items.schema.fields[1].categorical", "categorical applies only to string fields", 10),
    Case("schema JSON string", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema: '{"type": "record", "name": "Items", "fields": [{"name": "ITEM_ID", "type": "long"},]}'
        """), "schemas.items.schema", "the schema string is not valid JSON", 5),
    Case("schema JSON string with an Avro problem", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema: '{"type": "record", "name": "Items", "fields": []}'
        """), "schemas.items.schema", "fields: the record needs a non-empty list of fields", 5),
    Case("schema_file missing", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema_file: schemas/nope.json
        """), "schemas.items.schema_file", "schema file 'schemas/nope.json' does not exist", 5),
    Case("schema and schema_file", full("""\
        version: 1
        stack: s
        schemas:
          items:
            schema: {type: record, name: Items, fields: [{name: ITEM_ID, type: string}]}
            schema_file: items.json
        """), "schemas.items", "exactly one of 'schema' (inline) and 'schema_file'", 4),
    # -- recipes and solutions ---------------------------------------------------------------------
    Case("unknown recipe", """\
    solutions:
      up: {recipeArn: "arn:aws:personalize:::recipe/aws-user-personalisation-v2", performAutoTraining: false}
""", "dataset_groups.g.solutions.up.recipeArn", "unknown recipe", 11,
         hint=f"did you mean '{UP}'?"),
    Case("domain recipe in a solution", """\
    solutions:
      up: {recipeArn: "arn:aws:personalize:::recipe/aws-vod-top-picks", performAutoTraining: false}
""", "dataset_groups.g.solutions.up.recipeArn", "is a VIDEO_ON_DEMAND use case, not a custom recipe", 11),
    Case("recipeArn required unless AutoML", """\
    solutions:
      up: {performAutoTraining: false}
""", "dataset_groups.g.solutions.up", "missing required key 'recipeArn'", 11),
    Case("recipe needs a dataset the group lacks", """\
    solutions:
      sem: {recipeArn: "arn:aws:personalize:::recipe/aws-semantic-similarity", performAutoTraining: false}
""", "dataset_groups.g.solutions.sem.recipeArn", "trains on Items data", 11),
    Case("incremental update only for semantic similarity", f"""\
    solutions:
      up: {{recipeArn: "{UP}", performAutoTraining: false, performIncrementalUpdate: true}}
""", "dataset_groups.g.solutions.up.performIncrementalUpdate", "works only with aws-semantic-similarity", 11),
    Case("trainingMode UPDATE needs a recipe that supports it", f"""\
    solutions:
      up:
        recipeArn: "{UP}"
        performAutoTraining: false
        training: {{trainingMode: UPDATE}}
""", "dataset_groups.g.solutions.up.training.trainingMode", "trainingMode UPDATE works only with", 14),
    Case("scheduling expression range", f"""\
    solutions:
      up:
        recipeArn: "{UP}"
        performAutoTraining: true
        solutionConfig: {{autoTrainingConfig: {{schedulingExpression: rate(31 days)}}}}
""", "dataset_groups.g.solutions.up.solutionConfig.autoTrainingConfig.schedulingExpression",
         "invalid schedulingExpression 'rate(31 days)'", 14, hint="1 to 30"),
    Case("scheduling expression unit", f"""\
    solutions:
      up:
        recipeArn: "{UP}"
        performAutoTraining: true
        solutionConfig: {{autoTrainingConfig: {{schedulingExpression: rate(12 hours)}}}}
""", "dataset_groups.g.solutions.up.solutionConfig.autoTrainingConfig.schedulingExpression",
         "invalid schedulingExpression", 14),
    Case("solutionConfig unknown key", f"""\
    solutions:
      up:
        recipeArn: "{UP}"
        performAutoTraining: false
        solutionConfig: {{algorithmHyperParams: {{}}}}
""", "dataset_groups.g.solutions.up.solutionConfig.algorithmHyperParams", "unknown key", 14,
         hint="did you mean 'algorithmHyperParameters'?"),
    # -- campaigns ---------------------------------------------------------------------------------
    Case("sync needs $LATEST", SOL + """\
    campaigns:
      main:
        solution: up
        minProvisionedTPS: 1
        campaignConfig: {syncWithLatestSolutionVersion: true}
""", "dataset_groups.g.campaigns.main.campaignConfig.syncWithLatestSolutionVersion",
         "syncWithLatestSolutionVersion needs solutionVersion: $LATEST", 16),
    Case("$LATEST with sync false", SOL + """\
    campaigns:
      main:
        solution: up
        solutionVersion: $LATEST
        minProvisionedTPS: 1
        campaignConfig: {syncWithLatestSolutionVersion: false}
""", "dataset_groups.g.campaigns.main.campaignConfig.syncWithLatestSolutionVersion",
         "only with syncWithLatestSolutionVersion true", 17),
    Case("solutionVersion value", SOL + """\
    campaigns:
      main: {solution: up, solutionVersion: latest, minProvisionedTPS: 1}
""", "dataset_groups.g.campaigns.main.solutionVersion", "invalid solutionVersion 'latest'", 13),
    Case("segmentation solutions have no campaigns", """\
    solutions:
      seg: {recipeArn: "arn:aws:personalize:::recipe/aws-item-affinity", performAutoTraining: false}
    campaigns:
      main: {solution: seg, minProvisionedTPS: 1}
""", "dataset_groups.g.campaigns.main.solution", "can't be deployed in a campaign", 13),
    # -- recommenders ------------------------------------------------------------------------------
    Case("recommender in a custom group", """\
    recommenders:
      r: {recipeArn: "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"}
""", "dataset_groups.g.recommenders.r", "recommenders exist only in domain dataset groups", 11),
    Case("recommender with a custom recipe", full("""\
        version: 1
        stack: s
        dataset_groups:
          g:
            domain: ECOMMERCE
            recommenders:
              r: {recipeArn: "arn:aws:personalize:::recipe/aws-user-personalization-v2"}
        """), "dataset_groups.g.recommenders.r.recipeArn", "is a custom recipe; recommenders need a domain use "
                                                           "case", 7),
    Case("recommender of another domain", full("""\
        version: 1
        stack: s
        dataset_groups:
          g:
            domain: ECOMMERCE
            recommenders:
              r: {recipeArn: "arn:aws:personalize:::recipe/aws-vod-top-picks"}
        """), "dataset_groups.g.recommenders.r.recipeArn", "is a VIDEO_ON_DEMAND use case but dataset group 'g' "
                                                           "is ECOMMERCE", 7),
    Case("recommender state", full("""\
        version: 1
        stack: s
        dataset_groups:
          g:
            domain: ECOMMERCE
            recommenders:
              r: {recipeArn: "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you", state: STOPPED}
        """), "dataset_groups.g.recommenders.r.state", "'STOPPED' is not one of ACTIVE, INACTIVE", 7),
    # -- trackers, filters, metric attributions ----------------------------------------------------
    Case("one event tracker per group", """\
    event_trackers:
      a: {}
      b: {}
""", "dataset_groups.g.event_trackers.b", "only one event tracker", 12),
    Case("empty filter expression", """\
    filters:
      f: {filterExpression: "  "}
""", "dataset_groups.g.filters.f.filterExpression", "filterExpression is empty", 11),
    Case("filter expression too long", f"""\
    filters:
      f: {{filterExpression: 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("{'x' * 2500}")'}}
""", "dataset_groups.g.filters.f.filterExpression", "AWS allows 2500", 11),
    Case("filter expression shape", """\
    filters:
      f: {filterExpression: 'ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}
""", "dataset_groups.g.filters.f.filterExpression", "starts with INCLUDE or EXCLUDE", 11),
    Case("filter on a dataset the group lacks", """\
    filters:
      f: {filterExpression: 'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)'}
""", "dataset_groups.g.filters.f.filterExpression", "uses Items data", 11),
    Case("metric expression", """\
    metric_attributions:
      m:
        metrics: [{eventType: click, metricName: clicks, expression: COUNT()}]
        metricsOutputConfig: {roleArn: "arn:aws:iam::123456789012:role/x"}
""", "dataset_groups.g.metric_attributions.m.metrics[0].expression", "invalid metric expression 'COUNT()'", 12),
    Case("duplicate metric name", """\
    metric_attributions:
      m:
        metrics:
          - {eventType: click, metricName: clicks, expression: SAMPLECOUNT()}
          - {eventType: view, metricName: clicks, expression: SAMPLECOUNT()}
        metricsOutputConfig: {roleArn: "arn:aws:iam::123456789012:role/x"}
""", "dataset_groups.g.metric_attributions.m.metrics[1].metricName", "duplicate metricName 'clicks'", 14),
    Case("metric attribution has no tags", """\
    metric_attributions:
      m:
        metrics: [{eventType: click, metricName: clicks, expression: SAMPLECOUNT()}]
        metricsOutputConfig: {roleArn: "arn:aws:iam::123456789012:role/x"}
        tags: {a: b}
""", "dataset_groups.g.metric_attributions.m.tags", "unknown key 'tags'", 14),
    # -- tags --------------------------------------------------------------------------------------
    Case("reserved tag prefix", """\
    tags: {"aws:team": recs}
""", "dataset_groups.g.tags.aws:team", "reserved prefix 'aws:'", 10),
    Case("tag value too long", f"""\
    tags: {{team: {"x" * 257}}}
""", "dataset_groups.g.tags.team", "257 characters long; AWS allows 256", 10),
    Case("tag characters", """\
    tags: {team: "recs!"}
""", "dataset_groups.g.tags.team", "has characters AWS does not allow", 10),
    Case("too many tags with defaults", full("""\
        version: 1
        stack: s
        defaults:
          tags: {{{}}}
        dataset_groups:
          g:
            tags: {{{}}}
        """.format(", ".join(f"d{i}: x" for i in range(30)), ", ".join(f"g{i}: x" for i in range(21)))),
         "dataset_groups.g.tags", "51 tags (with defaults.tags); AWS allows 50", 7),
    # -- interpolation -----------------------------------------------------------------------------
    Case("unknown variable with did-you-mean", full("""\
        version: 1
        stack: s
        variables:
          env: {default: dev}
        dataset_groups:
          g:
            name: "recs-${var.evn}"
        """), "dataset_groups.g.name", "unknown variable 'evn'", 7, hint="did you mean '${var.env}'?"),
    Case("variable without a value, reported at its use", full("""\
        version: 1
        stack: s
        variables:
          tps: {type: integer}
        dataset_groups:
          g:
            campaigns:
              c: {solution: x, minProvisionedTPS: "${var.tps}"}
        """), "dataset_groups.g.campaigns.c.minProvisionedTPS", "variable 'tps' has no value", 8,
         hint="--var tps=", count=None),
    Case("only var references interpolate", """\
    name: "${env}"
""", "dataset_groups.g.name", "'${env}' is not a variable reference", 10),
    Case("unterminated interpolation", """\
    name: "g-${var.x"
""", "dataset_groups.g.name", "unterminated '${'", 10),
    Case("variable default of the wrong type", full("""\
        version: 1
        stack: s
        variables:
          tps: {type: integer, default: many}
        """), "variables.tps.default", "default 'many' is not an integer", 4),
    Case("variable type", full("""\
        version: 1
        stack: s
        variables:
          tps: {type: int}
        """), "variables.tps.type", "'int' is not one of string, integer, number, boolean", 4,
         hint="did you mean 'integer'?"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_bad_input_gives_located_problem(case: Case, tmp_path):
    if case.spec.startswith(("version:", "stack:", "- ")):
        text = case.spec
    elif case.base == "datasets":
        text = BASE_DATASETS + case.spec
    else:
        text = BASE + case.spec
    spec = tmp_path / "perso.yaml"
    spec.write_text(text)
    with pytest.raises(SpecValidationError) as info:
        load_spec(spec, environ={})
    problems = info.value.problems
    shown = "\n".join(str(p) for p in problems)
    matching = [p for p in problems if p.path == case.path and case.message in p.message]
    assert matching, f"expected {case.path}: {case.message}\ngot:\n{shown}"
    problem = matching[0]
    assert problem.file == str(spec)
    assert problem.line == case.line, shown
    if case.col is not None:
        assert problem.col == case.col, shown
    if case.hint is not None:
        assert problem.hint and case.hint in problem.hint, shown
    if case.count is not None:
        assert len(problems) == case.count, shown


def test_spec_all_problems_reported_at_once(tmp_path):
    spec = tmp_path / "perso.yaml"
    spec.write_text(BASE + """\
    solutins: {}
    solutions:
      up: {recipeArn: "arn:aws:personalize:::recipe/nope"}
    campaigns:
      main: {solution: upp}
""")
    with pytest.raises(SpecValidationError) as info:
        load_spec(spec, environ={})
    got = {(p.path, p.line) for p in info.value.problems}
    assert got == {
        ("dataset_groups.g.solutins", 10),
        ("dataset_groups.g.solutions.up", 12),             # performAutoTraining missing
        ("dataset_groups.g.solutions.up.recipeArn", 12),   # unknown recipe
        ("dataset_groups.g.campaigns.main", 14),           # minProvisionedTPS missing
        ("dataset_groups.g.campaigns.main.solution", 14),  # no solution 'upp'
    }
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines)


@pytest.mark.parametrize("text, where, what", [
    ("version: 1\nstack: [a\n", ":3:1", "invalid YAML"),
    ("version: 1\n  stack: s\n", ":2:8", "invalid YAML"),
    ("version: 1\nstack: s\n\tschemas: {}\n", ":3:1", "invalid YAML"),
])
def test_spec_yaml_syntax_error_names_file_line_col(text, where, what, tmp_path):
    spec = tmp_path / "perso.yaml"
    spec.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(spec, environ={})
    assert not isinstance(info.value, SpecValidationError)
    assert f"{spec}{where}: {what}" in info.value.message


def test_spec_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")


def test_spec_empty_file_is_a_problem(tmp_path):
    spec = tmp_path / "perso.yaml"
    spec.write_text("# nothing yet\n")
    with pytest.raises(SpecValidationError) as info:
        load_spec(spec)
    assert [p.message for p in info.value.problems] == ["the spec is empty"]


def test_spec_binary_file_is_a_spec_error(tmp_path):
    spec = tmp_path / "perso.yaml"
    spec.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(spec)
