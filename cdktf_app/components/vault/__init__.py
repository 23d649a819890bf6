"""HashiCorp Vault: the engines that issue the spec's `dynamic` secrets (through cdktn-provider-vault)."""
