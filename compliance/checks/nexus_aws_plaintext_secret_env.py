"""NEXUS_AWS_PLAINTEXT_SECRET_ENV: no secret in plain text in a function's or container's environment.

A value set in `environment` reaches cdk.tf.json, the plan, the state and the console of the cloud: secrets belong
in the spec's `secrets` section (a secret manager) and reach the workload by reference. An entry fails when its
name looks like a secret (`DB_PASSWORD`, `API_KEY`, ...) and its value is a literal, or when its value looks like
a credential whatever its name (an AWS access key id, a private key). References (`${...}`, Key Vault
`@Microsoft.KeyVault(...)`) and empty values pass.

What a secret-looking name is has one definition, Nexus' `cdktf_app.sensitive.SECRET_NAME` (the one `nexus
generate` strips model answers with); checks cannot import Nexus, so its scan worker passes the pattern in
NEXUS_SECRET_NAME. Without it (checkov run by hand) only the credential-shaped values are flagged.
The GCP and Azure checks are the same test on their clouds' resources (_nexus_support.PlaintextSecretEnvCheck).
"""
from _nexus_support import PlaintextSecretEnvCheck

check = PlaintextSecretEnvCheck(check_id="NEXUS_AWS_PLAINTEXT_SECRET_ENV",
                                resource_types=("aws_ecs_task_definition", "aws_lambda_function"))
