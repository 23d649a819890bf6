"""`dynamic` secrets: Vault issues short-lived credentials on demand and revokes them when their lease ends.

engine database -> a `database` secrets engine mount (its lease TTLs from the spec), a connection to the database
                   the secret names and a role whose users live `ttl` (renewable to `max_ttl`); built in the stack of
                   that database's cloud. Vault signs in to the database as `vault`: on GCP Nexus creates that
                   Cloud SQL user, its password an ephemeral random value written only through write-only
                   arguments (to Cloud SQL and to Vault); on AWS the user is made by the database owner and its
                   password is the ephemeral input variable `<secret>_vault_password` (never in plan or state).
                   Azure databases accept Entra ID sign-in only, which Vault's database engine cannot use.
engine aws      -> an `aws` secrets engine mount (lease TTLs from the spec) and a role: `assumed_role` (default)
                   issues STS credentials of `role_arns` (default: the IAM role named `role` in the account) for
                   the spec's TTLs, `iam_user` makes an IAM user with `policy_arns` per lease; built in the AWS
                   stack. Vault's own AWS credentials come from Vault's environment, never from the spec.
The vault provider reads its address and token from VAULT_ADDR and VAULT_TOKEN: nothing about Vault's location or
credentials is written into a stack. Readers get the path of their credentials (`database/creds/<role>`).
"""
from __future__ import annotations

from cdktn_provider_vault.aws_secret_backend import AwsSecretBackend
from cdktn_provider_vault.aws_secret_backend_role import AwsSecretBackendRole
from cdktn_provider_vault.database_secret_backend_connection import DatabaseSecretBackendConnection
from cdktn_provider_vault.database_secret_backend_role import DatabaseSecretBackendRole
from cdktn_provider_vault.mount import Mount
from cdktn_provider_vault.provider import VaultProvider

from ...errors import SpecError
from ...kit.context import StackContext
from ...spec.model import Secret, duration_seconds
from ..secret_parts import SecretConstruct, random_value

VAULT_USER = "vault"
VAULT_PASSWORD_LENGTH = 32
DATABASE_PORT = {"postgres": 5432, "mysql": 3306}
# Vault fills {{name}}, {{password}} and {{expiration}} for each lease; the user may read and write the
# application's tables in the default schema and nothing else, and is dropped when the lease ends.
CREATION_STATEMENTS = {
    "postgres": ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
                 "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"{{name}}\";"],
    "mysql": ["CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
              "GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO '{{name}}'@'%';"],
}
REVOCATION_STATEMENTS = {
    "postgres": ["REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM \"{{name}}\";",
                 "DROP ROLE IF EXISTS \"{{name}}\";"],
    "mysql": ["DROP USER IF EXISTS '{{name}}'@'%';"],
}
CONNECTION_URL = {
    "postgres": "postgresql://{{{{username}}}}:{{{{password}}}}@{host}:{port}/postgres?sslmode=require",
    "mysql": "{{{{username}}}}:{{{{password}}}}@tcp({host}:{port})/?tls=true",
}


def dynamic_secrets_here(ctx: StackContext) -> list[str]:
    """The dynamic secrets whose engine this stack holds: a database engine beside its database, the AWS engine in
    the AWS stack."""
    here = []
    for name, secret in ctx.spec.secrets.items():
        if secret.kind != "dynamic":
            continue
        if secret.engine == "database" and secret.database and secret.database in ctx.exports:
            here.append(name)
        elif secret.engine == "aws" and ctx.cloud == "aws":
            here.append(name)
    return here


def build_dynamic_secrets(ctx: StackContext) -> None:
    _refuse_unplaceable(ctx)
    for name in dynamic_secrets_here(ctx):
        secret = SecretConstruct(ctx, name, ctx.spec.secrets[name])
        ctx.shared("vault.provider", lambda: VaultProvider(ctx.stack, "vault"))
        (_database_engine if secret.secret.engine == "database" else _aws_engine)(secret)


def _refuse_unplaceable(ctx: StackContext) -> None:
    """Engines Nexus cannot place anywhere are refused where the spec asks for them, once (in the first stack)."""
    problems = []
    for name, secret in ctx.spec.secrets.items():
        if secret.kind != "dynamic":
            continue
        here = SecretConstruct(ctx, name, secret)
        if secret.engine in ("gcp", "azure"):
            problems.append(here.problem("engine", f"Nexus compiles the database and aws engines of Vault; engine "
                                                   f"{secret.engine} is not compiled yet"))
        elif secret.engine == "database" and not secret.database:
            problems.append(here.problem(None, "a dynamic secret of engine database needs 'database': the database "
                                               "component Vault issues users for"))
        elif secret.engine == "database" and ctx.cloud == "azure" and secret.database in ctx.exports:
            problems.append(here.problem("database", f"'{secret.database}' is an Azure database, which accepts "
                                                     "Entra ID sign-in only; Vault's database engine signs in with "
                                                     "a password"))
        elif secret.engine == "aws" and ctx.spec.providers.aws is None:
            problems.append(here.problem("engine", "engine aws issues AWS credentials; the spec has no aws provider"))
    if problems:
        raise SpecError(problems)


def _mount(secret: SecretConstruct, engine_type: str) -> Mount:
    """One mount per path; its lease TTLs are the spec's (ttl by default, max_ttl at most)."""
    spec = secret.secret
    return secret.ctx.shared(f"vault.mount.{spec.mount}", lambda: secret.add(
        Mount, "mount", path=spec.mount, type=engine_type, description=f"Nexus {secret.ctx.prefix}: {secret.name}",
        default_lease_ttl_seconds=duration_seconds(spec.ttl), max_lease_ttl_seconds=duration_seconds(spec.max_ttl)))


def _database_engine(secret: SecretConstruct) -> None:
    spec: Secret = secret.secret
    ctx = secret.ctx
    database = ctx.exports[spec.database]
    engine = ctx.component(spec.database).engine
    mount = _mount(secret, "database")
    password, version = _vault_password(secret)
    url = CONNECTION_URL[engine].format(host=database["endpoint"], port=DATABASE_PORT[engine])
    plugin = {"connection_url": url, "username": VAULT_USER, "password_wo": password, "password_wo_version": version}
    connection = secret.add(
        DatabaseSecretBackendConnection, "connection", backend=mount.path, name=spec.database,
        allowed_roles=[spec.role], verify_connection=False, **{"postgresql" if engine == "postgres" else "mysql": plugin})
    secret.add(DatabaseSecretBackendRole, "role", backend=mount.path, name=spec.role, db_name=connection.name,
               default_ttl=duration_seconds(spec.ttl), max_ttl=duration_seconds(spec.max_ttl),
               creation_statements=CREATION_STATEMENTS[engine], revocation_statements=REVOCATION_STATEMENTS[engine])


def _vault_password(secret: SecretConstruct) -> tuple[str, int]:
    """The password Vault signs in to the database with, as an ephemeral value, and its version."""
    ctx = secret.ctx
    if ctx.cloud == "gcp":
        from cdktn_provider_google.sql_user import SqlUser

        value = random_value(secret, VAULT_PASSWORD_LENGTH).result
        secret.add(SqlUser, "vault_user", name=VAULT_USER, instance=ctx.exports[secret.secret.database]["name"],
                   password_wo=value, password_wo_version=1)
        return value, 1
    import cdktn

    variable = cdktn.TerraformVariable(
        ctx.stack, f"{secret.name}_vault_password", type="string", sensitive=True, nullable=False,
        description=f"Password of the database user '{VAULT_USER}' Vault signs in as to issue '{secret.name}' "
                    "credentials; ephemeral: kept out of the plan and the state")
    variable.add_override("ephemeral", True)
    return variable.string_value, 1


def _aws_engine(secret: SecretConstruct) -> None:
    from ..aws.provider import account, partition, region

    spec: Secret = secret.secret
    ctx = secret.ctx
    backend = ctx.shared(f"vault.mount.{spec.mount}", lambda: secret.add(
        AwsSecretBackend, "mount", path=spec.mount, region=region(ctx),
        description=f"Nexus {ctx.prefix}: {secret.name}", default_lease_ttl_seconds=duration_seconds(spec.ttl),
        max_lease_ttl_seconds=duration_seconds(spec.max_ttl)))
    if spec.credential_type == "iam_user":
        issued = {"policy_arns": spec.policy_arns}
    else:
        issued = {"role_arns": spec.role_arns or [
            f"arn:{partition(ctx).partition}:iam::{account(ctx).account_id}:role/{spec.role}"],
            "default_sts_ttl": duration_seconds(spec.ttl), "max_sts_ttl": duration_seconds(spec.max_ttl)}
    secret.add(AwsSecretBackendRole, "role", backend=backend.path, name=spec.role,
               credential_type=spec.credential_type, **issued)
