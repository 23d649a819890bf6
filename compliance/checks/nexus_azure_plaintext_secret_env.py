"""NEXUS_AZURE_PLAINTEXT_SECRET_ENV: no secret in plain text in a Function App's or web app's settings or a
Container App's environment; the rule is NEXUS_AWS_PLAINTEXT_SECRET_ENV's (see nexus_aws_plaintext_secret_env.py)."""
from _nexus_support import PlaintextSecretEnvCheck

check = PlaintextSecretEnvCheck(check_id="NEXUS_AZURE_PLAINTEXT_SECRET_ENV",
                                resource_types=("azurerm_container_app", "azurerm_linux_function_app",
                                                "azurerm_linux_web_app", "azurerm_windows_function_app"))
