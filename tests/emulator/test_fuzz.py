"""Random model-valid requests against a populated account: every answer is either a result that
matches the output shape or a modelled AWS error — never an internal error — and the store stays
serialisable."""

from __future__ import annotations

import json
import random

from emulator_helpers import INTERACTIONS, ITEMS, ITEMS_V2, ROLE, USERS, full_chain

from perso_iac.emulator import EmulatorConfig, EmulatorServer, catalog
from perso_iac.emulator.backend import TYPES
from perso_iac.emulator.errors import ApiError
from perso_iac.emulator.model import operation_model, operation_names, validate

ALLOWED_ERRORS = {
    "InvalidInputException", "InvalidNextTokenException", "LimitExceededException", "ResourceAlreadyExistsException",
    "ResourceInUseException", "ResourceNotFoundException", "TooManyTagKeysException", "TooManyTagsException",
}
FILTERS = ['EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a")', 'INCLUDE ItemID WHERE Items.GENRE IN ("x")', "bogus"]
SCHEMAS = [INTERACTIONS, ITEMS, ITEMS_V2, USERS, "{}", "nope"]


class Gen:
    def __init__(self, rng: random.Random, arns: list[str], by_key: dict[str, list[str]]) -> None:
        self.rng, self.arns, self.by_key = rng, arns, by_key

    def value(self, shape, depth=0, member=""):
        r = self.rng
        kind = shape.type_name
        if kind == "structure":
            out = {}
            for name, member in shape.members.items():
                if name in shape.required_members or (depth < 3 and r.random() < 0.35):
                    out[name] = self.value(member, depth + 1, name)
            return out
        if kind == "list":
            return [self.value(shape.member, depth + 1) for _ in range(r.choice([0, 1, 1, 2]))]
        if kind == "map":
            return {f"k{i}": self.value(shape.value, depth + 1) for i in range(r.choice([0, 1]))}
        if kind == "boolean":
            return r.random() < 0.5
        if kind in ("integer", "long"):
            return r.randint(max(shape.metadata.get("min", 1), 1), min(shape.metadata.get("max", 50), 50))
        if kind in ("double", "float"):
            return round(r.random(), 2)
        return self.string(shape, member)

    def string(self, shape, member=""):
        r = self.rng
        if shape.enum:
            return r.choice(shape.enum)
        name = shape.name
        if name == "Arn":
            typed = self.by_key.get(member, [])
            if member == "solutionVersionArn":
                typed = typed + [a + "/$LATEST" for a in self.by_key.get("solutionArn", [])]
            if typed and r.random() < 0.85:
                return r.choice(typed)
            return r.choice(self.arns + ["arn:aws:personalize:us-east-1:123456789012:campaign/ghost"])
        return {
            "Name": r.choice(["fz1", "fz2", "p-group", "p-campaign"]),
            "RoleArn": ROLE,
            "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
            "S3Location": "s3://bucket/key",
            "SchedulingExpression": r.choice(["rate(1 day)", "rate(7 days)", "rate(99 days)"]),
            "DatasetType": r.choice(["Interactions", "Items", "Users", "Actions", "Action_Interactions", "Bogus"]),
            "AvroSchema": r.choice(SCHEMAS),
            "FilterExpression": r.choice(FILTERS),
            "NextToken": r.choice(["", "garbage"]),
            "ColumnName": "GENRE",
            "TagKey": r.choice(["team", "env"]),
            "TagValue": "v",
        }.get(name, r.choice(["x", "click", "SAMPLECOUNT()", "SUM(Interactions.ITEM_ID)"]))


def _generator(rng, backend, chain) -> Gen:
    by_key: dict[str, list[str]] = {}
    for rec in backend.state["resources"].values():
        by_key.setdefault(TYPES[rec["type"]].arn_key, []).append(rec["arn"])
    by_key["resourceArn"] = list(backend.state["resources"])
    by_key["recipeArn"] = [r.arn for r in catalog.RECIPES]
    by_key["algorithmArn"] = [r.algorithm_arn for r in catalog.RECIPES]
    by_key["featureTransformationArn"] = [r.feature_transformation_arn for r in catalog.RECIPES]
    return Gen(rng, list(chain.values()) + list(backend.state["resources"]), by_key)


def test_random_valid_requests_never_break_the_emulator(tmp_path):
    rng = random.Random(1234)
    with EmulatorServer(EmulatorConfig(time_scale=0, data_dir=tmp_path), port=0) as server:
        import boto3

        chain = full_chain(boto3.client("personalize", endpoint_url=server.endpoint_url, region_name="us-east-1"))
        backend = server.backend
        ops = operation_names()
        seen_errors = set()
        for _ in range(2500):
            gen = _generator(rng, backend, chain)
            op = rng.choice(ops)
            om = operation_model(op)
            params = gen.value(om.input_shape) if om.input_shape is not None else {}
            if validate(om.input_shape, params):
                continue
            try:
                result = backend.handle(op, params)
            except ApiError as err:
                assert err.code in ALLOWED_ERRORS, (op, params, err.code, err.message)
                seen_errors.add(err.code)
                continue
            assert validate(om.output_shape, result, output=True) == [] if om.output_shape else result == {}, (
                op, params, result)
        json.dumps(backend.state)
        assert {"ResourceNotFoundException", "InvalidInputException", "ResourceInUseException"} <= seen_errors
