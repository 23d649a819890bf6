"""The spec's secrets: four kinds (managed, generated, external, dynamic), rotation, and every mistake located."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.errors import SpecError
from cdktf_app.spec import load_spec_text
from cdktf_app.spec.document import load_document
from tests.helpers import write_spec

SPEC = """apiVersion: nexus/v1
name: shop
providers: {aws: {}}
components:
  db: {type: database}
  api: {type: service, image: x, secrets: [token], environment: {LOG_LEVEL: info}}
  jobs: {type: function, secrets: [token]}
secrets:
  token: %s
"""
SECRET_LINE = 9


def secret_of(text: str):
    return load_spec_text(SPEC % text).spec.secrets["token"]


def test_todays_from_and_name_form_is_an_external_secret():
    secret = secret_of("{from: aws-secrets-manager, name: shop/token, rotation_days: 30}")
    assert (secret.kind, secret.source, secret.name, secret.rotation_days) == (
        "external", "aws-secrets-manager", "shop/token", 30)
    assert secret.rotation is None


def test_generated_secret_gets_its_length_and_keeps_its_rotation():
    secret = secret_of("{kind: generated, from: aws-secrets-manager, rotation: {days: 30}}")
    assert (secret.kind, secret.length, secret.rotation.days, secret.name) == ("generated", 32, 30, None)


def test_managed_secret_names_its_database_and_is_kept_in_the_clouds_store():
    secret = secret_of("{kind: managed, database: db, rotation: {days: 7}}")
    assert secret.database == "db" and secret.rotation.days == 7
    assert secret.store_on("aws") == "aws-secrets-manager" and secret.store_on("gcp") is None


def test_dynamic_secret_comes_from_vault_with_lease_defaults():
    secret = secret_of("{kind: dynamic, engine: database, role: app, database: db}")
    assert (secret.source, secret.mount, secret.ttl, secret.max_ttl) == ("vault", "database", "1h", "24h")


def test_dynamic_aws_secret_assumes_a_role_by_default():
    secret = secret_of("{kind: dynamic, engine: aws, role: deployer, role_arns: ['arn:aws:iam::123456789012:role/d']}")
    assert secret.credential_type == "assumed_role" and secret.mount == "aws" and secret.database is None


def test_functions_list_secrets_too():
    assert load_spec_text(SPEC % "{kind: generated, from: aws-secrets-manager}").spec.components["jobs"].secrets == [
        "token"]


# (secret, spec path, column-independent fragment)
BROKEN_SECRETS = [
    ("{kind: generated, from: aws-secrets-manager, name: shop/token}", "secrets.token.name",
     "'name' does not apply to a generated secret"),
    ("{from: aws-secrets-manager, name: x, rotation: {days: 30}}", "secrets.token.rotation",
     "'rotation' does not apply to an external secret"),
    ("{kind: dynamic, engine: aws, role: app, rotation: {days: 1}}", "secrets.token.rotation",
     "'rotation' does not apply to a dynamic secret"),
    ("{kind: managed, from: aws-secrets-manager, database: db}", "secrets.token.from",
     "'from' does not apply to a managed secret"),
    ("{kind: managed}", "secrets.token", "a managed secret needs 'database'"),
    ("{kind: generated}", "secrets.token", "a generated secret needs 'from'"),
    ("{name: x}", "secrets.token", "an external secret needs 'from'"),
    ("{kind: dynamic, engine: database}", "secrets.token", "a dynamic secret needs 'role'"),
    ("{kind: dynamic, engine: aws, role: app, from: aws-secrets-manager}", "secrets.token",
     "dynamic secrets come from vault"),
    ("{kind: dynamic, engine: aws, role: app, database: db}", "secrets.token", "'database' is for engine database"),
    ("{kind: dynamic, engine: database, role: app, role_arns: ['arn:aws:iam::123456789012:role/x']}", "secrets.token",
     "'role_arns' is for engine aws"),
    ("{kind: dynamic, engine: aws, role: app, role_arns: [admin]}", "secrets.token.role_arns[0]", "not valid"),
    ("{kind: dynamic, engine: database, role: app, ttl: 2d, max_ttl: 1d}", "secrets.token",
     "ttl (2d) must not exceed max_ttl (1d)"),
    ("{kind: dynamic, engine: database, role: app, ttl: soon}", "secrets.token.ttl", "not valid"),
    ("{kind: generated, from: aws-secrets-manager, rotation: {days: 0}}", "secrets.token.rotation.days",
     "greater than or equal to 1"),
    ("{kind: generated, from: aws-secrets-manager, length: 8}", "secrets.token.length",
     "greater than or equal to 16"),
    ("{kind: rotating, from: aws-secrets-manager}", "secrets.token.kind", "expected 'managed', 'generated'"),
    ("{kind: managed, database: dbb}", "secrets.token.database", "no database component named 'dbb' (did you mean "
                                                                 "'db'?)"),
    ("{kind: managed, database: api}", "secrets.token.database", "no database component named 'api'"),
]


@pytest.mark.parametrize("secret, path, fragment", BROKEN_SECRETS, ids=[case[2][:40] for case in BROKEN_SECRETS])
def test_a_bad_secret_is_refused_where_it_stands(secret, path, fragment):
    with pytest.raises(SpecError) as caught:
        load_spec_text(SPEC % secret, file="nexus.yaml")
    matching = [problem for problem in caught.value.problems if fragment in problem.message]
    assert matching, [str(problem) for problem in caught.value.problems]
    assert matching[0].path == path and matching[0].line == SECRET_LINE


@pytest.mark.parametrize("environment, variable", [
    ("{DB_PASSWORD: hunter2hunter2}", "DB_PASSWORD"),
    ("{STRIPE_API_KEY: abc123abc123}", "STRIPE_API_KEY"),
    ("{UPSTREAM: AKIAABCDEFGHIJKLMNOP}", "UPSTREAM"),
    ("{DATABASE_URL: 'postgres://app:hunter2@db:5432/shop'}", "DATABASE_URL"),
])
def test_a_secret_value_in_a_plain_environment_variable_is_refused(environment, variable):
    text = SPEC.replace("environment: {LOG_LEVEL: info}", f"environment: {environment}")
    with pytest.raises(SpecError) as caught:
        load_spec_text(text % "{kind: generated, from: aws-secrets-manager}", file="nexus.yaml")
    problem, = caught.value.problems
    assert problem.path == f"components.api.environment.{variable}" and problem.line == 6
    assert "plain environment variable" in problem.message and "components.api.secrets" in problem.message


def test_a_reference_to_a_secret_in_the_environment_is_fine():
    text = SPEC.replace("environment: {LOG_LEVEL: info}",
                        "environment: {TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x', "
                        "PASSWORD_MIN_LENGTH: '', DATABASE_URL: 'postgres://db:5432/shop'}")
    assert load_spec_text(text % "{kind: generated, from: aws-secrets-manager}").spec.components["api"].environment


def test_cli_refuses_a_bad_secret_with_exit_2_and_its_place(tmp_path):
    spec = write_spec(tmp_path, SPEC % "{kind: generated, from: aws-secrets-manager, name: shop/token}")
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{spec}:{SECRET_LINE}:" in result.output and "secrets.token.name" in result.output


@pytest.mark.parametrize("blueprint", [blueprint.name for blueprint in list_blueprints()])
def test_every_blueprint_declares_each_secret_with_its_kind_and_rotates_what_its_standards_ask(blueprint):
    text = render_blueprint(blueprint, {})
    document, spec = load_document(text), load_spec_text(text).spec
    assert all("kind" in declared for declared in document.get("secrets", {}).values()), blueprint
    if spec.is_regulated():  # PCI DSS 8.3.9: passwords changed at least every 90 days
        rotating = [secret for secret in spec.secrets.values() if secret.kind in ("managed", "generated")]
        assert rotating and all(secret.rotation and secret.rotation.days <= 90 for secret in rotating), blueprint
